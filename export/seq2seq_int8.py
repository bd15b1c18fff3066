"""Static int8 of the exported seq2seq graphs: a line's log-probs do not depend on its batch neighbours, and a
decoder call that verifies a whole draft (aggressive decoding) reads it as step-by-step decoding does, up to
the rounding of an activation.

Dynamic int8 (`onnxruntime.quantization.quantize_dynamic`, what exports used before) scales each MatMul's
activations over everything the call holds: the whole padded batch, every token fed. Measured on the
warm-started seq2seq (6 + 2 layers, d 256, 16k pieces; 120 QALB-2014 dev sentences teacher-forced): a
sentence's log-probs moved by up to 1.6 with its batch and by 0.77 between one call and step by step, 3
next-token choices in 2,777 changed, and 3 of 100 sentences came out differently corrected alone and batched.
Static: 0 with the batch, 0.065 between one call and step by step, no next-token choice changed. Every scale
is fixed at export, as for the tagger (`tagger_int8`):

- every MatMul with a constant weight except attention's out_proj (its input has outlier channels): QDQ int8,
  weights per output channel in 7 bits, uint8 activations with one calibrated scale per tensor; the decoder's
  output projection over the vocabulary (a step's largest MatMul) included;
- the embedding tables looked up by ids: int8 rows, each with its own scale;
- attention products, softmax, layer norms and positions stay float.

Calibration runs real sentences one at a time, unpadded: the encoder on each source, the decoder on the same
source copied as its target in one call (what the model mostly writes, and the positions it writes it at).
Knows nothing of checkpoints, verification or model.json.
"""
from __future__ import annotations

import ast
import contextlib
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from export.tagger_int8 import int8_embedding
from nahawi.engine.sessions import import_onnxruntime
from nahawi.errors import ModelError
from nahawi.model_dir import DECODER_FILE, DECODER_INPUTS, ENCODER_FILE

FLOAT_SCOPE = "out_proj"  # MatMuls made by a module whose name holds this stay float


def int8_matmuls(fp32: Path, folded: Path) -> tuple[list[str], int]:
    """(names of the MatMuls to quantize, MatMuls with a constant weight) of the folded graph."""
    import onnx

    graph = onnx.load(str(folded)).graph
    constant = {init.name for init in graph.initializer}
    weighted = {n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in constant}
    chosen = []
    for node in onnx.load(str(fp32)).graph.node:
        meta = {prop.key: prop.value for prop in node.metadata_props}
        scopes = ast.literal_eval(meta.get("pkg.torch.onnx.name_scopes", "[]"))
        if node.name in weighted and not any(FLOAT_SCOPE in scope for scope in scopes):
            chosen.append(node.name)
    return chosen, len(weighted)


class _Rows:
    """onnxruntime's CalibrationDataReader protocol over a list of feeds."""

    def __init__(self, feeds: list[dict]):
        self.feeds = iter(feeds)

    def get_next(self):
        return next(self.feeds, None)

    def rewind(self):  # not needed: each graph is calibrated once
        pass


def calibration_feeds(fp32_dir: Path, sources: Sequence[Sequence[int]], bos_id: int) -> tuple[list, list]:
    """(encoder feeds, decoder feeds): each source alone; the decoder fed bos + the source's pieces in one call,
    with the fp32 encoder's cross keys and values and an empty cache."""
    ort = import_onnxruntime()
    from export.verify import session_options

    encoder = ort.InferenceSession(str(fp32_dir / ENCODER_FILE), session_options(1),
                                   providers=["CPUExecutionProvider"])
    encoder_feeds, decoder_feeds = [], []
    for source in sources:
        src = np.array([source], dtype=np.int64)
        cross_k, cross_v = encoder.run(None, {"src_ids": src})
        layers, _, heads, _, head_dim = cross_k.shape
        empty = np.zeros((layers, 1, heads, 0, head_dim), dtype=np.float32)
        target = np.array([[bos_id, *source[:-1]]], dtype=np.int64)  # the source copied, its eos left out
        values = (target, np.array(0, dtype=np.int64), src, cross_k, cross_v, empty, empty)
        encoder_feeds.append({"src_ids": src})
        decoder_feeds.append(dict(zip(DECODER_INPUTS, values)))
    return encoder_feeds, decoder_feeds


def quantize_graph(fp32: Path, target: Path, feeds: list[dict], ids_inputs: Sequence[str]) -> dict:
    """Static QDQ int8 of one graph file, calibrated on feeds; returns what was quantized."""
    import_onnxruntime()  # telemetry off before the library loads
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    fp32, folded = fp32.resolve(), target.with_name(f".{target.name}.folded").resolve()
    logging.disable(logging.WARNING)  # "consider pre-processing" advice and calibration chatter
    try:
        # the pre-pass folds the in_proj slices and the tied output projection's transpose into initializers,
        # and drops scratch files into the cwd
        with tempfile.TemporaryDirectory(prefix="nahawi-quant-") as scratch, contextlib.chdir(scratch):
            quant_pre_process(fp32, folded, skip_symbolic_shape=True)
        chosen, weighted = int8_matmuls(fp32, folded)
        if not chosen:
            raise ModelError(f"{fp32.name}: no MatMul with a constant weight found to quantize")
        quantize_static(folded, target, _Rows(feeds), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=["MatMul"], nodes_to_quantize=chosen, per_channel=True, reduce_range=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        extra_options={"OpTypesToExcludeOutputQuantization": ["MatMul"]})
    finally:
        logging.disable(logging.NOTSET)
        folded.unlink(missing_ok=True)
    return {"matmuls_int8": len(chosen), "matmuls_with_weights": weighted,
            "embedding_tables_int8": int8_embedding(target, ids_inputs)}


def quantize_seq2seq_int8(fp32_dir: Path, target_dir: Path, sources: Sequence[Sequence[int]], bos_id: int) -> dict:
    """Static int8 of fp32_dir's encoder.onnx and decoder.onnx into target_dir, calibrated on `sources`
    (token ids as the encoder takes them); returns model.json's quantization record."""
    if not sources:
        raise ModelError("int8 needs calibration sentences; none were given")
    target_dir.mkdir(parents=True, exist_ok=True)
    encoder_feeds, decoder_feeds = calibration_feeds(fp32_dir, sources, bos_id)
    graphs = {ENCODER_FILE: quantize_graph(fp32_dir / ENCODER_FILE, target_dir / ENCODER_FILE, encoder_feeds,
                                           ("src_ids",)),
              DECODER_FILE: quantize_graph(fp32_dir / DECODER_FILE, target_dir / DECODER_FILE, decoder_feeds,
                                           ("input_ids",))}
    return {"method": "static QDQ", "graphs": graphs, "weights": "int8 per output channel, 7-bit range",
            "activations": "uint8, one calibrated scale per tensor", "calibration_rows": len(sources)}
