"""Edit tagger checkpoint → `tagger.onnx`, its tokenizer and tag vocabulary inside an existing model directory.

`export_tagger(TaggerExportRequest(...))` is `nahawi export tagger`. The graph (names in nahawi.model_dir):

    tagger.onnx  ids int64 (B, T): bos + pieces + eos, padded with pad id 0 (masked as EditTagger masks it:
                 no position attends to a pad); B and T dynamic, T <= max_seq_len (the sinusoidal table)
                 -> word_probs float32 (B, T, word tags), mark_probs float32 (B, T, marks): softmax in the graph

int8 (the default) is static, with every scale fixed at export (`tagger_int8`), never dynamic: a dynamic
int8 MatMul scales activations over the whole padded batch, so a sentence's probabilities would depend on
its neighbours. Calibration sentences are real Arabic (built in, or --calibration), encoded like the engine.

Before anything is written: onnx.checker; torch vs ONNX Runtime fp32 probabilities on real Arabic; for int8
the top-1 word tag (first piece of each word) and mark (last piece) vs fp32; every sentence run alone vs
batched with longer, padded neighbours. Files are staged in a hidden folder of the model directory and
renamed into place, model.json last; an error puts back what was there. The seq2seq export is exporter.py's;
the int8 conversion itself is tagger_int8's.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from export.calibration import calibration_texts
from export.publish import publish
from nahawi.engine.sessions import import_onnxruntime
from nahawi.errors import ConfigError, InputError, ModelError
from nahawi.model_dir import (
    DECODER_FILE,
    ENCODER_FILE,
    FORMAT,
    MODEL_JSON,
    TAGGER_FILE,
    TAGGER_HIDDEN,
    TAGGER_INPUTS,
    TAGGER_OUTPUTS,
    TAGGER_TAGS_FILE,
    TAGGER_TOKENIZER_FILE,
    file_record,
    sha256_file,
)

Log = Callable[[str], None]
PRECISIONS = ("fp32", "int8")
TAGGER_NAMES = (TAGGER_FILE, TAGGER_TOKENIZER_FILE, TAGGER_TAGS_FILE)
EXPORT_IDS = ((2, 5, 6, 7, 8, 9, 3), (2, 10, 11, 3, 0, 0, 0))  # traced at export; verification uses others
BATCH = 8  # rows per verification batch


@dataclass(frozen=True)
class TaggerExportRequest:
    checkpoint: Path  # tagger.pt or a training last.pt (`nahawi train tagger`)
    model_dir: Path  # existing model directory (`nahawi export`) that receives the tagger
    tokenizer: Path | None = None  # SentencePiece model; default: the one the checkpoint records
    precision: str = "int8"  # fp32 | int8
    force: bool = False  # replace a tagger the directory already has
    calibration: Path | None = None  # int8: sentences (text lines, or JSONL with "source"); default built-in
    calibration_lines: int = 512  # int8: first N sentences of the calibration file
    parity_tolerance: float = 1e-4  # largest accepted |p| difference between torch and ONNX fp32
    independence_tolerance: float = 1e-6  # largest accepted |p| change of a sentence batched with others
    min_agreement: float = 0.95  # int8: least accepted share of word tags and marks equal to fp32's top-1
    threads: int = 1  # ONNX Runtime intra-op threads while verifying
    opset: int = 20
    tagger_only: bool = False  # remove the seq2seq's graphs: the tagger proposes every model edit (a smaller directory)


@dataclass(frozen=True)
class TaggerExportReport:
    model_dir: Path
    precision: str
    verify: dict  # the model.json block's "verify"
    files: dict[str, int]  # bytes of each file written

    def to_dict(self) -> dict:
        from export.exporter import _jsonable

        return _jsonable(dataclasses.asdict(self))


@dataclass(frozen=True)
class Row:
    ids: np.ndarray  # (T,) bos + pieces + eos
    first: np.ndarray  # position of each word's first piece (its word tag is read there)
    last: np.ndarray  # ... and of its last piece (the mark after it)


class TaggerGraph(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, ids: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """ids (B, T) -> word probabilities (B, T, W), mark probabilities (B, T, M) and the encoder's states
        (B, T, d) the heads read, which a writer's adapter (nahawi.profile.adapter) reads too."""
        hidden = self.model.encode(ids)
        word_logits, mark_logits = self.model.word_head(hidden), self.model.mark_head(hidden)
        return torch.softmax(word_logits, dim=-1), torch.softmax(mark_logits, dim=-1), hidden


def check_target(request: TaggerExportRequest) -> dict:
    """The model directory's model.json, after refusing a bad precision, a missing model directory and an
    existing tagger without `force`."""
    if request.precision not in PRECISIONS:
        raise InputError(f"unknown tagger precision {request.precision!r}; choose one of {', '.join(PRECISIONS)}")
    if request.calibration_lines < 1:
        raise InputError(f"--calibration-lines must be >= 1, got {request.calibration_lines}")
    where = request.model_dir / MODEL_JSON
    if not where.is_file():
        raise InputError(f"{request.model_dir} is not a model directory (no {MODEL_JSON}); "
                         "export the seq2seq model there first with `nahawi export`")
    try:
        document = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ModelError(f"{where}: cannot read ({error})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelError(f"{where}: not a {FORMAT} model.json")
    present = [name for name in TAGGER_NAMES if (request.model_dir / name).exists()]
    if (document.get("tagger") is not None or present) and not request.force:
        raise InputError(f"{request.model_dir} already has a tagger ({', '.join(present) or 'model.json block'}); "
                         "pass --force to replace it")
    return document


def load_checkpoint(path: Path):
    """(eval-mode EditTagger, TagVocab, payload); any failure is a one-line ModelError."""
    from training.tagger import load_tagger

    try:
        return load_tagger(path)
    except ModelError:
        raise
    except (ConfigError, RuntimeError, TypeError, ValueError, KeyError, AttributeError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise ModelError(f"{path}: not a usable tagger checkpoint ({reason})") from error


def resolve_tokenizer(request: TaggerExportRequest, payload: dict) -> Path:
    from export.exporter import _recorded_path

    if request.tokenizer is not None:
        if not request.tokenizer.is_file():
            raise InputError(f"tokenizer not found: {request.tokenizer}")
        return request.tokenizer
    recorded = payload.get("tokenizer")
    if not isinstance(recorded, str) or not recorded:
        raise InputError("the checkpoint records no tokenizer; pass --tokenizer SPM.model")
    found = _recorded_path(recorded, request.checkpoint)
    if found is None or not found.is_file():
        raise InputError(f"the checkpoint's tokenizer {recorded} was not found; pass --tokenizer SPM.model")
    return found


def export_graph(model: nn.Module, path: Path, opset: int) -> None:
    """tagger.onnx (fp32) of an eval-mode EditTagger: batch and length dynamic, length <= max_seq_len."""
    from export.onnx_graphs import _export

    path.parent.mkdir(parents=True, exist_ok=True)
    Dim = torch.export.Dim
    shapes = {"ids": {0: Dim("batch"), 1: Dim("length", max=model.config.max_seq_len)}}
    _export(TaggerGraph(model.eval()), (torch.tensor(EXPORT_IDS),), path, TAGGER_INPUTS,
            (*TAGGER_OUTPUTS, TAGGER_HIDDEN), shapes, opset)


def encode_rows(codec, texts: Sequence[str], max_seq_len: int, cut: bool = False) -> list[Row]:
    """Rows as the engine's tagger stage builds them: benchmark tokens, windows of whole words that fit.
    cut: one row per text, filled to exactly max_seq_len (its last word cut), for the longest-input check."""
    from nahawi.engine.mapping import model_input

    room = max_seq_len - 2  # bos and eos
    rows = []
    for text in texts:
        tokens = [t.text for t in model_input(text).tokens]
        window: list[list[int]] = []
        for pieces in (p[:room] or [codec.unk_id] for p in codec.encode_tokens(tokens)):
            size = sum(map(len, window))
            if cut and size + len(pieces) >= room:
                window.append(pieces[:room - size])
                break
            if window and size + len(pieces) > room:
                rows.append(_row(codec, window))
                window = []
            window.append(pieces)
        if window:
            rows.append(_row(codec, window))
    return rows


def _row(codec, pieces: list[list[int]]) -> Row:
    from training.tagger_data import piece_positions

    first, last = piece_positions(pieces)
    return Row(np.array([codec.bos_id, *(i for p in pieces for i in p), codec.eos_id], dtype=np.int64), first, last)


def sample_rows(codec, max_seq_len: int) -> list[Row]:
    """Real Arabic with the errors the tagger fixes: single sentences, pairs joined with punctuation, and
    one row of exactly max_seq_len pieces."""
    from export.verify import SAMPLE_SENTENCES

    pairs = [f"{a} ، {b} ." for a, b in itertools.pairwise(SAMPLE_SENTENCES)]
    return [*encode_rows(codec, [*SAMPLE_SENTENCES, *pairs], max_seq_len),
            *encode_rows(codec, [" ".join(SAMPLE_SENTENCES * 8)], max_seq_len, cut=True)]


def pad(rows: Sequence[Row], pad_id: int) -> np.ndarray:
    out = np.full((len(rows), max(len(r.ids) for r in rows)), pad_id, dtype=np.int64)
    for index, row in enumerate(rows):
        out[index, :len(row.ids)] = row.ids
    return out


def open_session(path: Path, threads: int):
    from export.verify import session_options

    ort = import_onnxruntime()
    return ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])


def check_graph(path: Path) -> None:
    import onnx

    try:
        onnx.checker.check_model(str(path), full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise ModelError(f"{path.name}: invalid ONNX graph ({str(error).splitlines()[0]})") from error


@torch.no_grad()
def torch_parity(model: nn.Module, session, rows: Sequence[Row]) -> float:
    """Largest |p| difference between torch and ONNX over every position of padded mixed-length batches."""
    worst = 0.0
    for start in range(0, len(rows), BATCH):
        ids = pad(rows[start:start + BATCH], model.config.pad_id)
        expected = TaggerGraph(model)(torch.from_numpy(ids))
        for ref, got in zip(expected[:2], session.run(list(TAGGER_OUTPUTS), {"ids": ids})):
            worst = max(worst, float(np.abs(ref.numpy() - got).max()))
    return worst


def batch_independence(session, rows: Sequence[Row], pad_id: int) -> float:
    """Largest |p| change of a sentence run alone vs in a batch with the longest row (so it is padded)."""
    longest = max(rows, key=lambda r: len(r.ids))
    worst = 0.0
    for start in range(0, len(rows), BATCH - 1):
        group = [*rows[start:start + BATCH - 1], longest]
        batched = session.run(list(TAGGER_OUTPUTS), {"ids": pad(group, pad_id)})
        for index, row in enumerate(group[:-1]):
            alone = session.run(list(TAGGER_OUTPUTS), {"ids": pad([row], pad_id)})
            for a, b in zip(alone, batched):
                worst = max(worst, float(np.abs(a[0] - b[index, :len(row.ids)]).max()))
    return worst


def agreement(reference, variant, rows: Sequence[Row], pad_id: int) -> dict:
    """Top-1 word tags (first pieces) and marks (last pieces) of variant equal to reference's; max |p| diff
    at real positions."""
    same_words = same_marks = words = 0
    worst = 0.0
    for start in range(0, len(rows), BATCH):
        group = rows[start:start + BATCH]
        ids = pad(group, pad_id)
        (ref_w, ref_m), (var_w, var_m) = (s.run(list(TAGGER_OUTPUTS), {"ids": ids}) for s in (reference, variant))
        for index, row in enumerate(group):
            same_words += int((ref_w[index, row.first].argmax(-1) == var_w[index, row.first].argmax(-1)).sum())
            same_marks += int((ref_m[index, row.last].argmax(-1) == var_m[index, row.last].argmax(-1)).sum())
            words += len(row.first)
            n = len(row.ids)
            worst = max(worst, float(np.abs(ref_w[index, :n] - var_w[index, :n]).max()),
                        float(np.abs(ref_m[index, :n] - var_m[index, :n]).max()))
    return {"word_top1": same_words / words, "mark_top1": same_marks / words, "words": words,
            "max_abs_prob": worst}


def _verify(model, codec, fp32: Path, request: TaggerExportRequest, log: Log) -> tuple[dict, list[Row]]:
    check_graph(fp32)
    pad_id = model.config.pad_id
    rows = sample_rows(codec, model.config.max_seq_len)
    session = open_session(fp32, request.threads)
    parity = torch_parity(model, session, rows)
    log(f"torch vs ONNX fp32: max |p| diff {parity:.2e} on {len(rows)} rows "
        f"(lengths {min(len(r.ids) for r in rows)}-{max(len(r.ids) for r in rows)})")
    if not parity <= request.parity_tolerance:
        raise ModelError(f"ONNX fp32 probabilities differ from torch by {parity:.3g} "
                         f"(tolerance {request.parity_tolerance:g}); nothing written")
    checks = {"rows": len(rows), "max_len": max(len(r.ids) for r in rows), "torch_fp32_max_abs_prob": parity,
              "batch_independence_max_abs_prob": {"fp32": _independent(session, rows, pad_id, "fp32", request)}}
    return checks, rows


def _independent(session, rows: Sequence[Row], pad_id: int, name: str, request: TaggerExportRequest) -> float:
    worst = batch_independence(session, rows, pad_id)
    if not worst <= request.independence_tolerance:
        raise ModelError(f"{name} tagger output changes with its batch neighbours by up to {worst:.3g} "
                         f"(tolerance {request.independence_tolerance:g}); nothing written")
    return worst


def _make_int8(fp32: Path, codec, model, rows: Sequence[Row], checks: dict, request: TaggerExportRequest,
               log: Log) -> tuple[Path, dict]:
    from export.tagger_int8 import quantize_int8

    texts, source = calibration_texts(request.calibration, request.calibration_lines)
    calibration = encode_rows(codec, texts, model.config.max_seq_len)
    target = fp32.with_name("int8.onnx")
    quantization = {**quantize_int8(fp32, target, calibration), "calibration": source}
    check_graph(target)
    reference, variant = open_session(fp32, request.threads), open_session(target, request.threads)
    agreed = agreement(reference, variant, rows, model.config.pad_id)
    log(f"int8 vs fp32: word tags {agreed['word_top1']:.1%}, marks {agreed['mark_top1']:.1%} agree over "
        f"{agreed['words']} words, max |p| diff {agreed['max_abs_prob']:.2e}")
    if min(agreed["word_top1"], agreed["mark_top1"]) < request.min_agreement:
        raise ModelError(f"int8 tags agree with fp32 on only {min(agreed['word_top1'], agreed['mark_top1']):.1%} "
                         f"of words (minimum {request.min_agreement:.0%}); nothing written")
    checks["int8_vs_fp32"] = agreed
    checks["batch_independence_max_abs_prob"]["int8"] = _independent(variant, rows, model.config.pad_id, "int8",
                                                                     request)
    return target, quantization


def tagger_block(request: TaggerExportRequest, model, payload: dict, checks: dict, quantization: dict | None) -> dict:
    from export.exporter import _versions

    checkpoint = {"file": request.checkpoint.name, "step": payload.get("step"),
                  "sha256": sha256_file(request.checkpoint)}
    if payload.get("dev") is not None:
        checkpoint["dev"] = payload["dev"]
    block = {"file": TAGGER_FILE, "tokenizer": TAGGER_TOKENIZER_FILE, "tags": TAGGER_TAGS_FILE,
             "inputs": list(TAGGER_INPUTS), "outputs": [*TAGGER_OUTPUTS, TAGGER_HIDDEN], "max_seq_len": model.config.max_seq_len,
             "precision": request.precision, "architecture": model.config.to_dict(), "checkpoint": checkpoint,
             "verify": checks}
    if quantization is not None:
        block["quantization"] = quantization
    return {**block, "versions": _versions()}


def model_json_text(document: dict, block: dict, staging: Path, tagger_only: bool = False) -> str:
    """model.json with the tagger block and the new files' records; every other key as it was, except that a
    tagger-only directory drops the seq2seq's graphs and their records and says `"seq2seq": false`."""
    from export.exporter import _jsonable

    files = dict(document.get("files") or {})
    files.update({name: file_record(staging / name) for name in TAGGER_NAMES})
    document = {**document, "tagger": block, "files": files}
    if tagger_only:
        for name in seq2seq_files(document):
            files.pop(name, None)
        document = {key: value for key, value in document.items() if key != "graphs"} | {"seq2seq": False}
    return json.dumps(_jsonable(document), ensure_ascii=False, indent=2) + "\n"


def seq2seq_files(document: dict) -> list[str]:
    """The seq2seq graph files a model.json names (the version-1 names where it names none)."""
    if document.get("seq2seq") is False:
        return []
    graphs = document.get("graphs") if isinstance(document.get("graphs"), dict) else {}
    return [str((graphs.get(name) or {}).get("file", default)) for name, default in
            (("encoder", ENCODER_FILE), ("decoder", DECODER_FILE))]


def export_tagger(request: TaggerExportRequest, log: Log = lambda message: None) -> TaggerExportReport:
    """The whole pipeline; raises InputError/ModelError with the model directory unchanged."""
    from export.exporter import load_tokenizer
    from nahawi.engine.mapping import SubwordCodec

    started = time.time()
    document = check_target(request)
    model, vocab, payload = load_checkpoint(request.checkpoint)
    tokenizer = resolve_tokenizer(request, payload)
    load_tokenizer(tokenizer, model.config)  # its size and special ids must be the model's
    codec = SubwordCodec(tokenizer)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".tagger-staging-", dir=request.model_dir))
    except OSError as error:
        raise InputError(f"cannot write into {request.model_dir}: {error.strerror or error}") from error
    try:
        fp32 = staging / "fp32.onnx"
        log(f"exporting the tagger ({model.num_parameters() / 1e6:.2f}M parameters, {len(vocab.word_tags)} word "
            f"tags, {len(vocab.marks)} marks) to ONNX (opset {request.opset})")
        export_graph(model, fp32, request.opset)
        checks, rows = _verify(model, codec, fp32, request, log)
        graph, quantization = fp32, None
        if request.precision == "int8":
            graph, quantization = _make_int8(fp32, codec, model, rows, checks, request, log)
        os.replace(graph, staging / TAGGER_FILE)
        shutil.copyfile(tokenizer, staging / TAGGER_TOKENIZER_FILE)
        vocab.save(staging / TAGGER_TAGS_FILE)
        block = tagger_block(request, model, payload, checks, quantization)
        text = model_json_text(document, block, staging, request.tagger_only)
        (staging / MODEL_JSON).write_text(text, encoding="utf-8")
        files = {name: (staging / name).stat().st_size for name in TAGGER_NAMES}
        publish(staging, request.model_dir, [*TAGGER_NAMES, MODEL_JSON], "the tagger")
        if request.tagger_only:  # model.json no longer names them: the directory is whole with or without them
            for name in seq2seq_files(document):
                (request.model_dir / name).unlink(missing_ok=True)
    except OSError as error:  # staging files (disk full); nothing reached the model directory
        raise ModelError(f"cannot stage the tagger in {request.model_dir}: {error.strerror or error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"wrote the {request.precision} tagger into {request.model_dir} "
        f"({sum(files.values()) / 1e6:.1f} MB) in {time.time() - started:.0f}s")
    return TaggerExportReport(request.model_dir, request.precision, checks, files)
