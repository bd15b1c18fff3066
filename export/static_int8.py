"""Static QDQ int8 of one exported ONNX graph, the machinery the tagger's and the seq2seq's exports share:
every activation scale calibrated at export (never computed per call from what a call holds, so a row's
output does not depend on its batch), the MatMuls a caller chooses by the module that made them, embedding
tables int8 per row. What to quantize and what to calibrate on are the callers' (`tagger_int8`,
`seq2seq_int8`)."""
from __future__ import annotations

import ast
import contextlib
import logging
import tempfile
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

import numpy as np

from nahawi.engine.sessions import import_onnxruntime
from nahawi.errors import ModelError

Scopes = list[str]  # the exporter's `pkg.torch.onnx.name_scopes` of a node: the modules that made it, outermost first


def weighted_matmuls(fp32: Path, folded: Path) -> list[tuple[str, Scopes]]:
    """The MatMuls with a constant weight in the folded graph, each with its module scopes from the fp32 graph
    (the pre-pass keeps node names and drops the scopes)."""
    import onnx

    graph = onnx.load(str(folded)).graph
    constant = {init.name for init in graph.initializer}
    weighted = {n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in constant}
    found = []
    for node in onnx.load(str(fp32)).graph.node:
        if node.name in weighted:
            meta = {prop.key: prop.value for prop in node.metadata_props}
            found.append((node.name, ast.literal_eval(meta.get("pkg.torch.onnx.name_scopes", "[]"))))
    return found


class _Feeds:
    """onnxruntime's CalibrationDataReader protocol over an iterable of feeds."""

    def __init__(self, feeds: Iterable[dict]):
        self.feeds = iter(feeds)

    def get_next(self):
        return next(self.feeds, None)


def quantize_static_graph(fp32: Path, target: Path, feeds: Iterable[dict], choose: Callable[[Scopes], bool],
                          ids_inputs: Collection[str]) -> dict:
    """Static QDQ int8 of one graph file: the weighted MatMuls whose scopes `choose` accepts (weights int8 per
    output channel in 7 bits — CPUs without VNNI do not saturate — uint8 activations with one scale per
    tensor calibrated on `feeds`; MatMul outputs stay float), then the tables looked up by `ids_inputs` int8
    per row. Returns the counts for model.json."""
    import_onnxruntime()  # telemetry off before the library loads
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    fp32, folded = fp32.resolve(), target.with_name(f".{target.name}.folded").resolve()
    logging.disable(logging.WARNING)  # "consider pre-processing" advice and calibration chatter
    try:
        # the pre-pass folds the in_proj slices (and a tied output projection's transpose) into initializers,
        # and drops scratch files into the cwd
        with tempfile.TemporaryDirectory(prefix="nahawi-quant-") as scratch, contextlib.chdir(scratch):
            quant_pre_process(fp32, folded, skip_symbolic_shape=True)
        weighted = weighted_matmuls(fp32, folded)
        chosen = [name for name, scopes in weighted if choose(scopes)]
        if not chosen:
            raise ModelError(f"{fp32.name}: no MatMul found to quantize")
        quantize_static(folded, target, _Feeds(feeds), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=["MatMul"], nodes_to_quantize=chosen, per_channel=True, reduce_range=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        extra_options={"OpTypesToExcludeOutputQuantization": ["MatMul"]})
    finally:
        logging.disable(logging.NOTSET)
        folded.unlink(missing_ok=True)
    return {"matmuls_int8": len(chosen), "matmuls_with_weights": len(weighted),
            "embedding_tables_int8": int8_embedding(target, ids_inputs)}


def int8_embedding(path: Path, ids_inputs: Collection[str]) -> int:
    """Rewrite each Gather of a float table by one of `ids_inputs` as a Gather of int8 rows times each row's
    own scale (symmetric, per row): exact per row, so no batch dependence. Returns the number of tables
    rewritten."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    tables = {init.name: init for init in graph.initializer if len(init.dims) == 2}
    uses = [name for node in graph.node for name in node.input]
    nodes, rewritten = [], 0
    for node in graph.node:
        name = node.input[0] if node.op_type == "Gather" else None
        if name not in tables or node.input[1] not in ids_inputs or uses.count(name) != 1:
            nodes.append(node)
            continue
        table = numpy_helper.to_array(tables[name]).astype(np.float32)  # (V, d)
        scale = np.abs(table).max(axis=1, keepdims=True) / 127.0
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)  # (V, 1)
        graph.initializer.remove(tables[name])
        graph.initializer.extend([numpy_helper.from_array(np.round(table / scale).astype(np.int8), f"{name}_int8"),
                                  numpy_helper.from_array(scale, f"{name}_scale")])
        nodes += _rescaled_lookup(node, name)
        rewritten += 1
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(path))
    return rewritten


def _rescaled_lookup(node, table: str) -> list:
    """Gather int8 rows and their scales by the same ids; Cast and Mul give node's float output (B, T, d)."""
    from onnx import TensorProto, helper

    ids, out, base = node.input[1], node.output[0], node.name
    return [helper.make_node("Gather", [f"{table}_int8", ids], [f"{out}_int8"], name=f"{base}_int8"),
            helper.make_node("Gather", [f"{table}_scale", ids], [f"{out}_scale"], name=f"{base}_scale"),
            helper.make_node("Cast", [f"{out}_int8"], [f"{out}_float"], name=f"{base}_cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{out}_float", f"{out}_scale"], [out], name=f"{base}_rescale")]
