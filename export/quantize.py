"""Reduced-precision variants of exported fp32 graphs: fp16 (for the CUDA provider) and static int8 (CPU).

fp16: onnxruntime's float16 converter with `keep_io_types=True`, so every precision has the same float32
graph inputs and outputs and the engine needs no dtype switch (casts sit at the graph edges); nodes are
re-sorted topologically because the converter appends the input casts after their consumers.
int8: static QDQ with calibrated activation scales (`seq2seq_int8`): a line's log-probs do not depend on the
other lines of its batch, which dynamic int8 could not promise.
This module only converts files; it does not judge whether the result is accurate enough (see verify).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nahawi.engine.sessions import import_onnxruntime
from nahawi.model_dir import DECODER_FILE, ENCODER_FILE

GRAPH_FILES = (ENCODER_FILE, DECODER_FILE)


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


def convert_graphs(source_dir: Path, target_dir: Path, precision: str,
                   calibration: Sequence[Sequence[int]] = (), bos_id: int = 2) -> dict:
    """Write encoder.onnx and decoder.onnx of source_dir (fp32) into target_dir at precision; int8 is calibrated
    on `calibration` (source ids as the encoder takes them). Returns how the graphs were converted."""
    if precision == "int8":
        from export.seq2seq_int8 import quantize_seq2seq_int8

        return quantize_seq2seq_int8(source_dir, target_dir, calibration, bos_id)
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in GRAPH_FILES:
        to_fp16(source_dir / name, target_dir / name)
    return {"method": "float16 weights and compute, float32 inputs and outputs"}
