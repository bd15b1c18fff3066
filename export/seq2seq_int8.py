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
- the tied table stored once, in `tied_table.bin`: the output projection a QGemm over its rows, both lookups
  reading them (`tied_table`);
- attention products, softmax, layer norms and positions stay float.

Calibration runs real sentences one at a time, unpadded: the encoder on each source, the decoder on the same
source copied as its target in one call (what the model mostly writes, and the positions it writes it at).
Knows nothing of checkpoints, verification or model.json.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from export.static_int8 import Scopes, quantize_static_graph
from export.tied_table import tie_tables
from nahawi.engine.sessions import import_onnxruntime
from nahawi.errors import ModelError
from nahawi.model_dir import DECODER_FILE, DECODER_INPUTS, ENCODER_FILE

FLOAT_SCOPE = "out_proj"  # MatMuls made by a module whose name holds this stay float


def is_int8_matmul(scopes: Scopes) -> bool:
    return not any(FLOAT_SCOPE in scope for scope in scopes)


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


def quantize_seq2seq_int8(fp32_dir: Path, target_dir: Path, sources: Sequence[Sequence[int]], bos_id: int) -> dict:
    """Static int8 of fp32_dir's encoder.onnx and decoder.onnx into target_dir, calibrated on `sources`
    (token ids as the encoder takes them); returns model.json's quantization record."""
    if not sources:
        raise ModelError("int8 needs calibration sentences; none were given")
    target_dir.mkdir(parents=True, exist_ok=True)
    encoder_feeds, decoder_feeds = calibration_feeds(fp32_dir, sources, bos_id)
    graphs = {name: quantize_static_graph(fp32_dir / name, target_dir / name, feeds, is_int8_matmul, (ids,))
              for name, feeds, ids in ((ENCODER_FILE, encoder_feeds, "src_ids"),
                                       (DECODER_FILE, decoder_feeds, "input_ids"))}
    tied = tie_tables(target_dir)
    return {"method": "static QDQ", "graphs": graphs, "tied_table": tied, "weights": "int8 per output channel, 7-bit range",
            "activations": "uint8, one calibrated scale per tensor", "calibration_rows": len(sources)}
