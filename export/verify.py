"""Checks an export must pass before its directory is written: graph validity, torch ≡ ONNX, variants ≈ fp32.

`OnnxSeq2Seq` runs an exported encoder/decoder pair with ONNX Runtime (encode, one step, teacher-forced
scoring, and a greedy search that mirrors `training.decode.greedy_decode` step for step) so torch and
ONNX can be compared on shapes other than the traced ones. The dev-set check of quantized models goes
through a callback into the engine (`engine_dev_scorer`), so this module never depends on it.
This module measures and reports; the exporter decides what to do with the numbers.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nahawi.engine.sessions import import_onnxruntime
from nahawi.errors import ModelError
from nahawi.model_dir import (
    DECODER_ALL_LOG_PROBS,
    DECODER_FILE,
    DECODER_INPUTS,
    DECODER_OUTPUTS,
    ENCODER_FILE,
)
from training.decode import greedy_decode
from training.model import Seq2SeqTransformer

# (batch, src_len, tgt_len): all differ from onnx_graphs.EXPORT_SHAPES; tgt_len 1 starts from an empty cache.
PARITY_SHAPES = ((1, 5, 1), (3, 11, 6), (4, 3, 9))
NEAR_TIE = 1e-4  # greedy paths may split where the top two log-probs are closer than this
SAMPLE_SENTENCES = (
    "ذهب الولد الى المدرسه في الصباح الباكر",
    "قال المدير ان الاجتماع سيعقد يوم الاحد",
    "هذه المسأله مهمه جدا للطلاب",
    "لم يستطع الطالب ان يجيب على السؤال",
    "انا اريد ان اتعلم اللغه العربيه",
    "كانت السماء صافيه والجو جميل",
    "اشترى ابي سياره جديده الاسبوع الماضي",
    "يجب علينا ان نحافظ على البيئه",
    "المعلمون يعملون بجد في المدارس",
    "إن العلم نور والجهل ظلام",
    "سافرت الى القاهره لزيارة اصدقائي",
    "هل قرأت الكتاب الذي اعطيتك اياه ؟",
)

DevScorer = Callable[[Path, int], float]  # (model directory, first N QALB-2014 dev documents) -> F0.5


@dataclass(frozen=True)
class ParityReport:
    max_abs_log_prob: float  # over every (batch, position, vocab) entry of every shape
    max_abs_cross: float  # encoder cross-attention keys/values
    shapes: tuple[tuple[int, int, int], ...]  # (batch, src_len, tgt_len) checked
    max_abs_parallel: float = 0.0  # the whole target in one decoder call (all_log_probs) against torch


@dataclass(frozen=True)
class GreedyReport:
    sentences: int
    identical: int  # same ids, same length
    near_ties: int  # split where the reference's top-two margin < NEAR_TIE (not a fault)
    mismatches: int  # split anywhere else


@dataclass(frozen=True)
class VariantReport:
    precision: str
    max_abs_log_prob: float  # vs the fp32 graphs, teacher-forced on PARITY_SHAPES
    top1_agreement: float  # fraction of teacher-forced positions with the same argmax as fp32
    greedy_identical: float  # fraction of sample sentences decoded identically to fp32
    ran: bool  # False when this machine's ONNX Runtime cannot execute the variant (fp16 on some CPUs)
    note: str = ""
    batch_independence_max_abs_log_prob: float = math.nan  # a sample sentence alone vs batched, one call
    one_call_vs_steps_max_abs_log_prob: float = math.nan  # a whole target in one call vs step by step


def session_options(threads: int = 1):
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared CPUs: yield, don't spin
    return options


def check_graphs(directory: Path) -> None:
    """onnx.checker (full check, with shape inference) on both graphs."""
    import onnx

    for name in (ENCODER_FILE, DECODER_FILE):
        try:
            onnx.checker.check_model(str(directory / name), full_check=True)
        except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
            raise ModelError(f"{directory / name}: invalid ONNX graph ({error})") from error


class OnnxSeq2Seq:
    """An exported encoder/decoder pair in ONNX Runtime; layer count, heads and head size come from the graphs."""

    def __init__(self, directory: Path, threads: int = 1, providers: Sequence[str] = ("CPUExecutionProvider",),
                 pad_id: int = 0, bos_id: int = 2, eos_id: int = 3, max_seq_len: int = 256):
        ort = import_onnxruntime()
        options = session_options(threads)
        self.encoder = ort.InferenceSession(str(directory / ENCODER_FILE), options, providers=list(providers))
        self.decoder = ort.InferenceSession(str(directory / DECODER_FILE), options, providers=list(providers))
        self.pad_id, self.bos_id, self.eos_id, self.max_seq_len = pad_id, bos_id, eos_id, max_seq_len

    def encode(self, src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cross_k, cross_v = self.encoder.run(None, {"src_ids": src.astype(np.int64)})
        return cross_k, cross_v  # (L, B, H, S, d/H)

    def empty_cache(self, cross_k: np.ndarray) -> np.ndarray:
        layers, batch, heads, _, head_dim = cross_k.shape
        return np.zeros((layers, batch, heads, 0, head_dim), dtype=np.float32)

    def step(self, token: np.ndarray, position: int, src: np.ndarray, cross: tuple, past: tuple) -> tuple:
        values = (token.astype(np.int64), np.array(position, dtype=np.int64), src.astype(np.int64), *cross, *past)
        feeds = dict(zip(DECODER_INPUTS, values))
        log_probs, present_k, present_v = self.decoder.run(list(DECODER_OUTPUTS), feeds)
        return log_probs, (present_k, present_v)  # (B, V), cache grown by one position

    def parallel(self, src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
        """tgt (B, T) decoder inputs -> log-probs (B, T, V) from one decoder call (aggressive decoding's)."""
        cross = self.encode(src)
        values = (tgt.astype(np.int64), np.array(0, dtype=np.int64), src.astype(np.int64), *cross,
                  self.empty_cache(cross[0]), self.empty_cache(cross[0]))
        return self.decoder.run([DECODER_ALL_LOG_PROBS], dict(zip(DECODER_INPUTS, values)))[0]

    def teacher_forced(self, src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
        """tgt (B, T) decoder inputs (bos first) -> log-probs (B, T, V), one cached step per position."""
        cross = self.encode(src)
        past = (self.empty_cache(cross[0]), self.empty_cache(cross[0]))
        out = []
        for position in range(tgt.shape[1]):
            log_probs, past = self.step(tgt[:, position:position + 1], position, src, cross, past)
            out.append(log_probs)
        return np.stack(out, axis=1)

    def greedy(self, src: np.ndarray, max_len_a: float = 1.2, max_len_b: int = 10) -> list[list[int]]:
        """Same search, limits and stopping rule as training.decode.greedy_decode, on ids only."""
        batch = src.shape[0]
        cross = self.encode(src)
        past = (self.empty_cache(cross[0]), self.empty_cache(cross[0]))
        src_len = (src != self.pad_id).sum(1).astype(np.float32)
        limit = np.minimum((src_len * np.float32(max_len_a) + np.float32(max_len_b)).astype(np.int64),
                           self.max_seq_len - 1)
        token = np.full((batch, 1), self.bos_id, dtype=np.int64)
        done = np.zeros(batch, dtype=bool)
        outputs = []
        for position in range(int(limit.max())):
            log_probs, past = self.step(token, position, src, cross, past)
            token = log_probs.argmax(-1)[:, None]
            done |= (token[:, 0] == self.eos_id) | (position >= limit)
            outputs.append(np.where(done[:, None], self.eos_id, token))
            if done.all():
                break
        rows = np.concatenate(outputs, 1).tolist() if outputs else [[] for _ in range(batch)]
        return [row[:row.index(self.eos_id)] if self.eos_id in row else row for row in rows]


def random_batch(config, batch: int, src_len: int, tgt_len: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded sources ending in eos and decoder inputs starting with bos."""
    from export.onnx_graphs import sample_source

    generator = torch.Generator().manual_seed(seed + 1)
    tgt = torch.randint(4, config.vocab_size, (batch, tgt_len), generator=generator)
    tgt[:, 0] = config.bos_id
    return sample_source(config, batch, src_len, seed), tgt


@torch.no_grad()
def torch_onnx_parity(model: Seq2SeqTransformer, onnx_model: OnnxSeq2Seq,
                      shapes: Sequence[tuple[int, int, int]] = PARITY_SHAPES) -> ParityReport:
    from export.onnx_graphs import EncoderGraph

    model.eval()
    worst_lp = worst_cross = worst_parallel = 0.0
    for seed, (batch, src_len, tgt_len) in enumerate(shapes):
        src, tgt = random_batch(model.config, batch, src_len, tgt_len, seed)
        reference = torch.log_softmax(model(src, tgt), dim=-1).numpy()
        got = onnx_model.teacher_forced(src.numpy(), tgt.numpy())
        worst_lp = max(worst_lp, float(np.abs(reference - got).max()))
        parallel = onnx_model.parallel(src.numpy(), tgt.numpy())
        worst_parallel = max(worst_parallel, float(np.abs(reference - parallel).max()))
        for ref, out in zip(EncoderGraph(model)(src), onnx_model.encode(src.numpy())):
            worst_cross = max(worst_cross, float(np.abs(ref.numpy() - out).max()))
    return ParityReport(worst_lp, worst_cross, tuple(shapes), worst_parallel)


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int) -> np.ndarray:
    out = np.full((len(rows), max(map(len, rows))), pad_id, dtype=np.int64)
    for index, row in enumerate(rows):
        out[index, :len(row)] = row
    return out


def encode_sentences(sp, sentences: Sequence[str], config) -> list[list[int]]:
    return [sp.encode(text)[:config.max_seq_len - 1] + [config.eos_id] for text in sentences]


@torch.no_grad()
def _split_margin(model: Seq2SeqTransformer, src_row: np.ndarray, ours: list[int], theirs: list[int]) -> float:
    """Reference log-prob margin between the two tokens where the greedy paths first split."""
    eos = model.config.eos_id
    ours, theirs = ours + [eos], theirs + [eos]
    split = next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b)
    prefix = torch.tensor([[model.config.bos_id] + ours[:split]])
    src = torch.from_numpy(src_row[src_row != model.config.pad_id][None])
    log_probs = torch.log_softmax(model(src, prefix)[0, -1], dim=-1)
    return abs(float(log_probs[ours[split]] - log_probs[theirs[split]]))


def greedy_parity(model: Seq2SeqTransformer, onnx_model: OnnxSeq2Seq, sources: Sequence[Sequence[int]],
                  batch_size: int = 5) -> GreedyReport:
    """torch greedy_decode vs ONNX greedy, batched as given (mixed lengths, so padding is exercised)."""
    identical = ties = mismatches = 0
    for start in range(0, len(sources), batch_size):
        src = pad_batch(sources[start:start + batch_size], model.config.pad_id)
        reference = greedy_decode(model.eval(), torch.from_numpy(src))
        for row, ours, theirs in zip(src, reference, onnx_model.greedy(src)):
            if ours == theirs:
                identical += 1
            elif _split_margin(model, row, ours, theirs) < NEAR_TIE:
                ties += 1
            else:
                mismatches += 1
    return GreedyReport(len(sources), identical, ties, mismatches)


def compare_variant(precision: str, reference: OnnxSeq2Seq, variant_dir: Path, config,
                    sources: Sequence[Sequence[int]], threads: int = 1) -> VariantReport:
    """Run a reduced-precision pair against the fp32 pair; fp16 may be unrunnable on CPU (reported)."""
    try:
        variant = OnnxSeq2Seq(variant_dir, threads, pad_id=config.pad_id, bos_id=config.bos_id,
                              eos_id=config.eos_id, max_seq_len=config.max_seq_len)
        worst, agree, total = 0.0, 0, 0
        for seed, (batch, src_len, tgt_len) in enumerate(PARITY_SHAPES):
            src, tgt = (t.numpy() for t in random_batch(config, batch, src_len, tgt_len, seed))
            ref, got = reference.teacher_forced(src, tgt), variant.teacher_forced(src, tgt)
            if not np.isfinite(got).all():
                raise ModelError(f"{variant_dir}: {precision} graphs produce non-finite log-probs")
            worst = max(worst, float(np.abs(ref - got).max()))
            agree += int((ref.argmax(-1) == got.argmax(-1)).sum())
            total += ref.shape[0] * ref.shape[1]
        src = pad_batch(sources, config.pad_id)
        same = sum(a == b for a, b in zip(reference.greedy(src), variant.greedy(src)))
        batched, one_call = call_independence(variant, sources, config)
    except ModelError:
        raise
    except Exception as error:  # onnxruntime raises its own exception types (NOT_IMPLEMENTED, ...)
        if precision != "fp16":
            raise ModelError(f"{variant_dir}: {precision} graphs fail in ONNX Runtime: {error}") from error
        return VariantReport(precision, math.nan, math.nan, math.nan, ran=False,
                             note=f"not runnable here: {str(error).splitlines()[0][:200]}")
    return VariantReport(precision, worst, agree / total, same / len(sources), ran=True,
                         batch_independence_max_abs_log_prob=batched, one_call_vs_steps_max_abs_log_prob=one_call)


def call_independence(model: OnnxSeq2Seq, sources: Sequence[Sequence[int]], config) -> tuple[float, float]:
    """(largest |log p| change of a sentence decoded alone vs padded in a batch with all the others, largest
    change of its target fed in one call vs step by step), each source teacher-forced with itself as target."""
    src = pad_batch(sources, config.pad_id)
    targets = [[config.bos_id, *row[:-1]] for row in sources]
    batched = model.parallel(src, pad_batch(targets, config.pad_id))
    worst_batch = worst_steps = 0.0
    for index, (row, target) in enumerate(zip(sources, targets)):
        alone_src, alone_tgt = np.array([row], dtype=np.int64), np.array([target], dtype=np.int64)
        alone = model.parallel(alone_src, alone_tgt)[0]
        worst_batch = max(worst_batch, float(np.abs(alone - batched[index, :len(target)]).max()))
        steps = model.teacher_forced(alone_src, alone_tgt)[0]
        worst_steps = max(worst_steps, float(np.abs(alone - steps).max()))
    return worst_batch, worst_steps


def engine_dev_scorer(data_root: str | Path | None = None, threads: int = 1) -> tuple[DevScorer | None, str]:
    """A DevScorer: `nahawi.engine.Corrector` on the first N QALB-2014 dev documents, F0.5 (0-1) from our
    M2 scorer; or (None, why) when the engine or the data is not available."""
    try:
        from nahawi.engine import Corrector, CorrectorOptions
    except ImportError as error:
        return None, f"dev check skipped: the engine is not available ({error})"
    from nahawi.m2.reader import read_lines, read_m2
    from nahawi.m2.scorer import score_corpus
    from training.data.prepare import resolve_roots

    folder = resolve_roots(str(data_root) if data_root else None)[0] / "qalb" / "2014" / "dev"
    sources, gold = folder / "QALB-2014-L1-Dev.sent.no_ids", folder / "QALB-2014-L1-Dev.m2"
    if not (sources.is_file() and gold.is_file()):
        return None, f"dev check skipped: QALB-2014 dev not found in {folder}"

    def score(model_dir: Path, limit: int) -> float:
        options = CorrectorOptions(threads=threads, cache_size=0)
        corrector = Corrector.from_dir(model_dir, device="cpu", options=options)
        hypotheses = [c.corrected for c in corrector.correct_batch(read_lines(sources)[:limit])]
        return float(score_corpus(read_m2(gold)[:len(hypotheses)], hypotheses).f_beta)

    return score, ""
