"""One int8 copy of a seq2seq's tied table in its static int8 graphs.

The model ties its embedding to the decoder's output projection (one 16,000 × 256 table on the warm seq2seq),
but the int8 export stored it three times: the encoder's lookup and the decoder's lookup (int8 rows, one scale
a row: `static_int8.int8_embedding`) and the output projection (int8 per output channel, that is per row of
the table, in 7 bits): 4.1 MB each. Here the projection becomes a QGemm over the table as rows (transB), so
its weight *is* the table with its row scales, the decoder's lookup gathers those same rows (contiguous, not
the strided columns of a [d, V] weight, which measured 10–15% slower decoding), and the encoder's lookup reads
them too. The rows and scales live once in `tied_table.bin` beside the graphs (ONNX external data, which
ONNX Runtime resolves inside the graph's directory), recorded in model.json like every other file.

The projection computes exactly what it computed before (the same int8 weight, scales and activation
quantization); the lookups read 7-bit rows instead of 8-bit ones (a dev change within noise, measured in
docs/RESULTS.md). Knows nothing of checkpoints or verification.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from nahawi.errors import ModelError
from nahawi.model_dir import DECODER_FILE, ENCODER_FILE, TIED_TABLE_FILE

TABLE = "tied_table_int8"  # (V, d) int8 rows
ROW_SCALE = "tied_table_row_scale"  # (V, 1) float32: a row's scale
ALIGN = 4096  # the scales start on a page, so a runtime may map either part


def tie_tables(directory: Path, ids_inputs: tuple[str, str] = ("src_ids", "input_ids")) -> dict:
    """Rewrite directory's int8 encoder.onnx and decoder.onnx so both read one copy of the tied table from
    tied_table.bin. Returns model.json's record of it. Raises ModelError when the decoder's lookup does not
    read its output projection's table (an untied model: nothing to share)."""
    import onnx

    encoder, decoder = (onnx.load(str(directory / name)) for name in (ENCODER_FILE, DECODER_FILE))
    table_name, rows, scales = _tie_decoder(decoder, ids_inputs[1])
    shared = [decoder] + ([encoder] if _read_rows_of(encoder.graph, table_name, ids_inputs[0]) else [])
    for model in shared:
        model.graph.initializer.extend(_external_tensors(rows, scales))
    _write_data(directory / TIED_TABLE_FILE, rows, scales)
    for model, name in ((encoder, ENCODER_FILE), (decoder, DECODER_FILE)):
        onnx.save(model, str(directory / name))
    return {"file": TIED_TABLE_FILE, "rows": int(rows.shape[0]), "width": int(rows.shape[1]),
            "read_by": [name for model, name in ((encoder, ENCODER_FILE), (decoder, DECODER_FILE)) if model in shared]}


def _tie_decoder(model, ids: str) -> tuple[str, np.ndarray, np.ndarray]:
    """The decoder's output projection as QGemm(transB) over the table's int8 rows, its lookup reading them;
    returns (the lookup's table name as `int8_embedding` wrote it, the rows, their scales (V, 1))."""
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    producer = {output: node for node in graph.node for output in node.output}
    lookup = next((node for node in graph.node if node.op_type == "Gather" and node.input[1] == ids
                   and node.input[0].endswith("_int8") and node.input[0] in initializers), None)
    if lookup is None:
        raise ModelError("decoder.onnx: no int8 lookup of input_ids to tie")
    base = lookup.input[0].removesuffix("_int8")
    vocab = initializers[lookup.input[0]].dims[0]
    over_vocabulary = [node for node in graph.node if node.op_type == "DequantizeLinear"
                       and node.input[0] in initializers and list(initializers[node.input[0]].dims)[1:] == [vocab]]
    matmuls = [node for node in graph.node if node.op_type == "MatMul"
               and node.input[1] in {weight.output[0] for weight in over_vocabulary}]
    activation = producer.get(matmuls[0].input[0]) if len(matmuls) == 1 else None
    if len(over_vocabulary) != 1 or activation is None or activation.op_type != "DequantizeLinear":
        raise ModelError("decoder.onnx: no quantized output projection over the vocabulary to tie")
    weight, matmul = over_vocabulary[0], matmuls[0]
    projection = numpy_helper.to_array(initializers[weight.input[0]])  # (d, V) int8, per column
    column_scale = numpy_helper.to_array(initializers[weight.input[1]]).astype(np.float32)  # (V,)
    zero_point = numpy_helper.to_array(initializers[weight.input[2]])
    table = (numpy_helper.to_array(initializers[lookup.input[0]]).astype(np.float32)
             * numpy_helper.to_array(initializers[f"{base}_scale"]))
    if zero_point.any():
        raise ModelError("decoder.onnx: the output projection is not quantized symmetrically")
    rows = np.ascontiguousarray(projection.T)  # (V, d): row v is column v of the projection
    if not np.allclose(rows * column_scale[:, None], table, atol=float(column_scale.max())):
        raise ModelError("decoder.onnx: its lookup table is not its output projection's (an untied model)")
    for name in (weight.input[0], weight.input[1], lookup.input[0], f"{base}_scale"):
        graph.initializer.remove(initializers[name])
    _read_rows_of(graph, base, ids)
    quantized, a_scale, a_zero = activation.input
    out, prefix = matmul.output[0], "tied_projection"
    graph.initializer.extend([numpy_helper.from_array(column_scale, f"{prefix}_scale"),
                              numpy_helper.from_array(np.array([-1, rows.shape[1]], np.int64), f"{prefix}_rows"),
                              numpy_helper.from_array(np.array([0], np.int64), f"{prefix}_zero"),
                              numpy_helper.from_array(np.array([-1], np.int64), f"{prefix}_last"),
                              numpy_helper.from_array(np.array([vocab], np.int64), f"{prefix}_vocab")])
    # QGemm takes 2-D inputs: (B, T, d) -> (B·T, d) -> (B·T, V) -> (B, T, V); the float output skips requantizing
    replacement = [
        helper.make_node("Shape", [matmul.input[0]], [f"{prefix}_in_shape"], name=f"{prefix}_shape"),
        helper.make_node("Reshape", [quantized, f"{prefix}_rows"], [f"{prefix}_in"], name=f"{prefix}_flatten"),
        helper.make_node("QGemm", [f"{prefix}_in", a_scale, a_zero, TABLE, f"{prefix}_scale", weight.input[2]],
                         [f"{prefix}_out"], name=prefix, domain="com.microsoft", transB=1),
        helper.make_node("Slice", [f"{prefix}_in_shape", f"{prefix}_zero", f"{prefix}_last"], [f"{prefix}_lead"],
                         name=f"{prefix}_lead"),
        helper.make_node("Concat", [f"{prefix}_lead", f"{prefix}_vocab"], [f"{prefix}_out_shape"], axis=0,
                         name=f"{prefix}_out_shape"),
        helper.make_node("Reshape", [f"{prefix}_out", f"{prefix}_out_shape"], [out], name=f"{prefix}_unflatten")]
    nodes = []
    for node in graph.node:
        if node is matmul:
            nodes += replacement
        elif node is not weight:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    # the zero point stays an initializer the QGemm reads; it was the DequantizeLinear's
    if not any(opset.domain == "com.microsoft" for opset in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return base, rows, column_scale.reshape(-1, 1)


def _read_rows_of(graph, base: str, ids: str) -> bool:
    """Point the Gathers of `base`'s int8 rows and row scales by `ids` at the shared table, and drop the graph's
    own copy; False when the graph has no such lookup."""
    found = False
    for node in graph.node:
        if node.op_type == "Gather" and node.input[1] == ids and node.input[0] in (f"{base}_int8", f"{base}_scale"):
            node.input[0] = TABLE if node.input[0].endswith("_int8") else ROW_SCALE
            found = True
    for init in [init for init in graph.initializer if init.name in (f"{base}_int8", f"{base}_scale")]:
        graph.initializer.remove(init)
    return found


def _offsets(rows: np.ndarray) -> tuple[int, int]:
    return 0, -(-rows.nbytes // ALIGN) * ALIGN


def _external_tensors(rows: np.ndarray, scales: np.ndarray) -> list:
    """The table's two initializers, their bytes in TIED_TABLE_FILE."""
    from onnx import TensorProto

    tensors = []
    for name, array, offset, kind in ((TABLE, rows, _offsets(rows)[0], TensorProto.INT8),
                                      (ROW_SCALE, scales, _offsets(rows)[1], TensorProto.FLOAT)):
        tensor = TensorProto(name=name, data_type=kind, dims=array.shape)
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (("location", TIED_TABLE_FILE), ("offset", str(offset)), ("length", str(array.nbytes))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        tensors.append(tensor)
    return tensors


def _write_data(path: Path, rows: np.ndarray, scales: np.ndarray) -> None:
    start = _offsets(rows)[1]
    with path.open("wb") as handle:
        handle.write(rows.astype(np.int8).tobytes())
        handle.write(b"\0" * (start - rows.nbytes))
        handle.write(scales.astype("<f4").tobytes())
