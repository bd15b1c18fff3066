"""Reduced-precision variants of exported fp32 graphs: fp16 (for the CUDA provider) and dynamic int8 (CPU).

fp16: onnxruntime's float16 converter with `keep_io_types=True`, so every precision has the same float32
graph inputs and outputs and the engine needs no dtype switch (casts sit at the graph edges); nodes are
re-sorted topologically because the converter appends the input casts after their consumers.
int8: ONNX Runtime's basic graph optimizations (constant folding), then
`onnxruntime.quantization.quantize_dynamic` on MatMul and Gather: MatMul weights int8 per output channel
(activations are quantized per call at run time), Gather tables (the embedding, the position table) per
tensor. The decoder keeps two int8 copies of the tied embedding: the lookup table and the folded,
transposed output projection.
This module only converts files; it does not judge whether the result is accurate enough (see verify).
"""
from __future__ import annotations

import contextlib
import logging
import tempfile
from pathlib import Path

from nahawi.engine.sessions import import_onnxruntime
from nahawi.model_dir import DECODER_FILE, ENCODER_FILE

GRAPH_FILES = (ENCODER_FILE, DECODER_FILE)
INT8_OPS = ("MatMul", "Gather")


def topological_sort(graph) -> None:
    """Reorder graph.node in place so every node comes after the producers of its inputs (Kahn)."""
    available = {value.name for value in graph.input} | {init.name for init in graph.initializer} | {""}
    pending, ordered = list(graph.node), []
    while pending:
        ready = [node for node in pending if all(name in available for name in node.input)]
        if not ready:
            names = ", ".join(node.name for node in pending[:3])
            raise ValueError(f"graph has a cycle or undefined inputs near: {names}")
        for node in ready:
            available.update(node.output)
        ordered.extend(ready)
        ready_ids = {id(node) for node in ready}
        pending = [node for node in pending if id(node) not in ready_ids]
    copies = [type(node)() for node in ordered]
    for copy, node in zip(copies, ordered):
        copy.CopyFrom(node)
    del graph.node[:]
    graph.node.extend(copies)


def to_fp16(source: Path, target: Path) -> None:
    """Convert one fp32 graph file to fp16 weights and compute, float32 inputs/outputs."""
    import onnx

    import_onnxruntime()  # telemetry off before the library loads
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    topological_sort(model.graph)
    onnx.save(model, str(target))


def to_int8(source: Path, target: Path, per_channel: bool = True) -> None:
    """Dynamic int8 quantization of one fp32 graph file, after ONNX Runtime's basic (portable) optimizations.

    The pre-pass folds the exporter's run-time Slice/Transpose of `in_proj_weight` and of the tied output
    projection into plain initializers, so those MatMuls are quantized too (tiny preset: 19 MB -> 13 MB).
    ORT's symbolic shape inference cannot follow the dynamo graphs' shape arithmetic and is skipped.
    """
    import_onnxruntime()  # telemetry off before the library loads
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source, folded = Path(source).resolve(), target.with_name(f".{target.name}.folded").resolve()
    logging.disable(logging.WARNING)  # "consider pre-processing" advice, printed for every graph
    try:
        # the pre-pass drops scratch files (sym_shape_infer_temp.onnx, <uuid>.data) into the working directory
        with tempfile.TemporaryDirectory(prefix="nahawi-quant-") as scratch, contextlib.chdir(scratch):
            quant_pre_process(source, folded, skip_symbolic_shape=True)
        quantize_dynamic(folded, target, op_types_to_quantize=list(INT8_OPS), per_channel=per_channel, reduce_range=True,
                         weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
        folded.unlink(missing_ok=True)


def convert_graphs(source_dir: Path, target_dir: Path, precision: str) -> None:
    """Write encoder.onnx and decoder.onnx of source_dir (fp32) into target_dir at precision."""
    convert = {"fp16": to_fp16, "int8": to_int8}[precision]
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in GRAPH_FILES:
        convert(source_dir / name, target_dir / name)
