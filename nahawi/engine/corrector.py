"""The correction engine: load a model directory once, correct batches of texts, return typed results.

Owns the pipeline around the model: options checked before any work; documents cut into segments
(sentences, then shorter pieces until each fits the model); segments without Arabic letters left alone;
the rest looked up in the cache or batched by length and decoded; the model's output mapped back onto the
user's own spacing (`mapping`), checked by the guard, turned into scored edits (`nahawi.edits`), and
stitched back at the segment's offsets. Everything outside an edit is the user's text, byte for byte:
`Correction.corrected == apply_edits(source, edits)` always. Knows nothing of ONNX internals (`sessions`)
or of how the search walks the ids (`search`).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nahawi.contract import Correction, Edit, apply_edits
from nahawi.engine import guard as guard_checks
from nahawi.engine.cache import CacheStats, LRUCache
from nahawi.engine.guard import GuardConfig
from nahawi.engine.lexicon_stage import EditPolicy
from nahawi.engine.mapping import (
    ModelInput,
    SubwordCodec,
    model_input,
    render,
    rendered_edits,
)
from nahawi.engine.search import (
    Hypothesis,
    SpecialIds,
    aggressive_search,
    beam_search,
    greedy_search,
    length_limits,
)
from nahawi.engine.sessions import CUDA, LazySeq2Seq, OrtSeq2Seq, check_positions, open_model, open_tagger
from nahawi.engine.stages import AfterModel
from nahawi.engine.tagger_stage import TaggerStage
from nahawi.errors import InputError, ModelError
from nahawi.lexicon import Lexicon, lexicon_config, load_lexicon
from nahawi.lexicon_gate import load_gate
from nahawi.model_dir import (
    DECODER_ALL_LOG_PROBS,
    GATE_FILE,
    LEXICON_FILE,
    PUNCTUATION_FILE,
    TABLES_SOURCES,
    ModelInfo,
    load_model_info,
    sha256_file,
)
from nahawi.profile.store import Profile
from nahawi.profile.writer import WriterModel
from nahawi.punctuation import load_punctuation
from nahawi.spacing import Spacing
from nahawi.tags import TagPolicy, TagVocab
from nahawi.text.chars import has_arabic
from nahawi.text.segment import Segment, segment_text
from nahawi.text.tokens import tokenize_words

log = logging.getLogger("nahawi.engine")

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "resources" / "default_model"
MAX_BEAM = 64
SEARCHES = ("auto", "greedy", "aggressive")
TAGGER_FLOOR = 0.2  # tags below this probability are never proposed (the policy's thresholds sit above)


@dataclass(frozen=True)
class CorrectorOptions:
    threads: int | None = None  # intra-op threads; None: NAHAWI_THREADS, OMP_NUM_THREADS or free cores
    max_batch_size: int = 32  # most segments (times the beam) decoded together
    max_batch_tokens: int = 4096  # most padded source tokens (rows × longest row) in one batch
    max_len_a: float | None = None  # output length limit a · src_len + b; None: model.json's value
    max_len_b: int | None = None
    length_penalty: float = 1.0  # beam search: hypothesis score = log-prob / length ** length_penalty
    # beam 1: greedy | aggressive (the source as a draft verified in one call; the same ids, 1.75x as fast a
    # sentence on the warm seq2seq) | auto (aggressive where the decoder takes several tokens a call, else greedy)
    search: str = "auto"
    segment_words: int = 64  # longest segment in words before it is cut at a comma or word boundary
    cache_size: int = 4096  # decoded segments remembered across calls (0 disables the cache)
    guard: GuardConfig = field(default_factory=GuardConfig)  # when a correction drifts too far to keep
    verify_hashes: bool = True  # check the model files' sha256 against model.json when loading
    lexicon: bool = True  # use the model directory's lexicon.tsv.gz (vocabulary net + usual spellings)
    spacing: bool = True  # with the lexicon: join and split words as the corpus writes them
    policy: bool = True  # apply model.json's edit policy (model edit kinds and minimum confidence)
    punctuation: bool = True  # use the model directory's punctuation.json.gz (marks between words)
    strict: bool = False  # model.json's strict policy (fewer false alarms, fewer corrections) when it has one
    learner: bool = False  # model.json's learner policy (writers learning Arabic: the seq2seq's edits too) if tuned
    tagger: bool = True  # use the model directory's edit tagger when it has one (the seq2seq is then not decoded)
    profile: str | Path | None = None  # a personal profile folder (nahawi.profile): the writer's adaptation
    latin_marks: bool = False  # the writer writes marks the Latin way (, ? ;): kept, and added marks written so


@dataclass(frozen=True)
class EngineInfo:
    model_name: str  # the model directory's name
    model_dir: str
    precision: str  # fp32 | fp16 | int8
    device: str  # cpu | cuda
    provider: str  # the ONNX Runtime execution provider in use
    threads: int  # intra-op threads
    notice: str = ""  # why CUDA is not used, when it was asked for or available


@dataclass(frozen=True)
class _Settings:
    beam: int
    max_length: int | None
    guard: bool


@dataclass(frozen=True)
class _SegmentResult:
    edits: tuple[Edit, ...]  # offsets into the segment text, confidence filled
    rejected: str = ""  # the guard's reason when the model's output was discarded


class Corrector:
    """Arabic grammatical error correction with an exported model directory (see `nahawi.model_dir`)."""

    def __init__(self, model_info: ModelInfo, model: OrtSeq2Seq | LazySeq2Seq, codec: SubwordCodec,
                 options: CorrectorOptions, device: str = "auto"):
        self.model_info, self.model, self.codec, self.options = model_info, model, codec, options
        self.special = SpecialIds(model_info.pad_id, model_info.bos_id, model_info.eos_id)
        self.source_prefix = (model_info.bos_id,) if model_info.source_bos else ()
        a, b = options.max_len_a, options.max_len_b
        self.max_len_a = float(model_info.decoding.get("max_len_a", 1.2) if a is None else a)
        self.max_len_b = int(model_info.decoding.get("max_len_b", 10) if b is None else b)
        # Longest source (ids, bos and eos included) whose length limit still fits the target positions.
        fit = math.floor((model_info.max_seq_len - 1 - self.max_len_b) / max(self.max_len_a, 1e-6))
        self.max_source = max(4, min(model_info.max_seq_len, fit))
        self.cache = LRUCache(options.cache_size)
        self.aggressive = options.search == "aggressive" or (
            options.search == "auto" and model_info.has_seq2seq
            and DECODER_ALL_LOG_PROBS in model_info.decoder.outputs)
        policy = _chosen_policy(model_info, options) if options.policy else {}
        lexicon = _lexicon(model_info, policy) if options.lexicon else None
        punctuation_path, punctuation = _stats_path(model_info, PUNCTUATION_FILE), None
        if options.punctuation and policy.get("punctuation", True) and punctuation_path.is_file():
            threshold = policy.get("punctuation_threshold")
            punctuation = load_punctuation(punctuation_path, None if threshold is None else float(threshold))
        self.base_stages = AfterModel(lexicon, None, EditPolicy.from_dict(policy), punctuation,
                                      latin_marks=options.latin_marks)
        self.tagger = None
        if options.tagger and model_info.tagger is not None and policy.get("tagger", True):
            self.tagger = _tagger_stage(model_info, device, options)
        self.adapt_to(WriterModel.from_profile(Profile(options.profile)) if options.profile is not None else None)

    def adapt_to(self, writer: WriterModel | None) -> None:
        """Correct for this writer from now on (nahawi.profile.writer: their vocabulary in the lexicon,
        their weights in the gate and the punctuation model, their thresholds and suppressions on what is
        shown); None: for nobody in particular. Forgets the cached segments."""
        base = self.base_stages
        lexicon = writer.lexicon(base.lexicon) if writer is not None else base.lexicon
        punctuation = writer.punctuation(base.punctuation) if writer is not None else base.punctuation
        spacing = Spacing(lexicon) if lexicon is not None and self.options.spacing else None
        self.stages = AfterModel(lexicon, spacing, base.policy, punctuation, writer=writer,
                                 latin_marks=base.latin_marks)
        self.tagger_adapter = writer.adapter_for(self.tagger) if writer is not None and self.tagger else None
        self.cache.clear()

    @classmethod
    def from_dir(cls, path: str | Path | None = None, device: str = "auto",
                 options: CorrectorOptions = CorrectorOptions()) -> Corrector:
        """Load a model directory (None: the default model shipped in nahawi/resources/default_model)."""
        _validate_options(options)
        if path is None:
            if not (DEFAULT_MODEL_DIR / "model.json").is_file():
                raise ModelError(f"no model given and the default model is not installed at "
                                 f"{DEFAULT_MODEL_DIR}; pass a model directory (nahawi correct --model DIR)")
            path = DEFAULT_MODEL_DIR
        info = load_model_info(path, verify_hashes=options.verify_hashes)
        if options.search == "aggressive" and info.has_seq2seq and DECODER_ALL_LOG_PROBS not in info.decoder.outputs:
            raise ModelError(f"{info.path}: its decoder takes one token per call (exported before aggressive "
                             "decoding); export the model again or use search 'greedy'")
        codec = SubwordCodec(info.tokenizer_path)
        if codec.vocab_size != info.vocab_size:
            raise ModelError(f"{info.tokenizer_path}: vocabulary has {codec.vocab_size} pieces but "
                             f"model.json says {info.vocab_size}")
        def open_sessions() -> OrtSeq2Seq:
            if not info.has_seq2seq:
                raise ModelError(f"{info.path}: a tagger-only model directory has no seq2seq to decode")
            model = open_model(info.path, device, options.threads, (info.encoder.file, info.decoder.file),
                               d_model=info.d_model)
            check_positions(model, info.max_seq_len, info.eos_id, info.bos_id)
            return model

        corrector = cls(info, LazySeq2Seq(open_sessions), codec, options, device)
        if not info.has_seq2seq and corrector.uses_model:
            raise ModelError(f"{info.path}: a tagger-only model directory (no seq2seq graphs) corrects with its "
                             "tagger; do not turn the tagger off")
        if (device == "cuda" and info.has_seq2seq) or corrector.uses_model:  # a device named is checked at once
            corrector.model.load()
        return corrector

    @property
    def uses_model(self) -> bool:
        """Whether the seq2seq is decoded: not when the tagger proposes the model edits, nor when the policy
        shows no model edit kind (its output could only be discarded); then the stages run alone."""
        kinds = self.stages.policy.kinds
        return self.tagger is None and (kinds is None or bool(kinds))

    @property
    def info(self) -> EngineInfo:
        name, path = self.model_info.path.name, str(self.model_info.path)
        if self.tagger is not None and not self.model.loaded:  # the tagger is what runs: describe its session
            session = self.tagger.model
            device = "cuda" if session.provider == CUDA else "cpu"
            return EngineInfo(name, path, self.model_info.tagger.precision, device, session.provider, session.threads)
        return EngineInfo(name, path, self.model_info.precision, self.model.device, self.model.provider,
                          self.model.threads, self.model.notice)

    def cache_stats(self) -> CacheStats:
        return self.cache.stats()

    def correct(self, text: str, *, beam: int = 1, max_length: int | None = None, guard: bool = True,
                min_confidence: float | None = None, punctuation: bool = True) -> Correction:
        if not isinstance(text, str):
            raise InputError(f"text must be a str, got {type(text).__name__}")
        return self.correct_batch([text], beam=beam, max_length=max_length, guard=guard,
                                  min_confidence=min_confidence, punctuation=punctuation)[0]

    def correct_batch(self, texts: Sequence[str], *, beam: int = 1, max_length: int | None = None,
                      guard: bool = True, min_confidence: float | None = None,
                      punctuation: bool = True) -> list[Correction]:
        """Corrections of texts, in input order; punctuation=False leaves out the punctuation model's marks
        without running it (for a writer who turned that kind off: on a long document it is a stage of its own)."""
        validate_call(texts, beam, max_length, guard, min_confidence, punctuation)
        settings = _Settings(beam, max_length, guard)
        documents = [self.segments(text) for text in texts]
        results: dict[str, _SegmentResult] = {}
        pending: dict[str, None] = {}  # segments to correct, in order of first appearance
        for segments in documents:
            for segment in segments:
                if segment.text in results or segment.text in pending:
                    continue
                cached = self.cache.get((segment.text, settings))
                if cached is not None:
                    results[segment.text] = cached
                else:
                    pending[segment.text] = None
        # A policy that shows no model edit skips the model and everything only it needs (its inputs too).
        if self.uses_model:
            decoded = self._decode(list(pending), settings)
        else:
            policy = self.stages.policy
            trusted = policy.allows if policy.tagger_passes > 1 else None
            tagged = (self.tagger.edits(list(pending), adapter=self.tagger_adapter, trusted=trusted)
                      if self.tagger is not None else [()] * len(pending))
            decoded = {text: _SegmentResult(self.stages.segment_edits(text, edits))
                       for text, edits in zip(pending, tagged, strict=True)}
        for text, result in decoded.items():
            self.cache.put((text, settings), result)
            results[text] = result
        return [self._assemble(text, segments, results, min_confidence, punctuation)
                for text, segments in zip(texts, documents, strict=True)]

    def segments(self, text: str) -> list[Segment]:
        """The pieces of text the model corrects (offsets into text): Arabic segments that fit the model."""
        pieces: list[Segment] = []
        for segment in segment_text(text, self.options.segment_words):
            if has_arabic(segment.text):
                pieces.extend(self._fit(segment))
        return pieces

    def source_ids(self, pieces: Sequence[int]) -> list[int]:
        """The encoder's source for a segment's piece ids, as the model was trained: pieces + eos (ours) or
        bos + pieces + eos (original-layout checkpoints; model.json tokenizer.source_bos)."""
        return [*self.source_prefix, *pieces, self.special.eos]

    def _fit(self, segment: Segment) -> list[Segment]:
        """segment, cut in halves (by words) until every piece's ids fit the model; a single word too long
        for the model (a pasted blob) is left uncorrected."""
        if len(self.source_ids(self.codec.encode(model_input(segment.text).line))) <= self.max_source:
            return [segment]
        words = tokenize_words(segment.text)
        if len(words) <= 1:
            log.debug("a %d-character word is too long for the model; left as is", len(segment.text))
            return []
        pieces = []
        for piece in segment_text(segment.text, max(1, len(words) // 2)):
            start = segment.start + piece.start
            if has_arabic(piece.text):
                pieces.extend(self._fit(Segment(piece.text, start, start + len(piece.text))))
        return pieces

    def _decode(self, texts: list[str], settings: _Settings) -> dict[str, _SegmentResult]:
        sources = [model_input(text) for text in texts]
        ids = [self.codec.encode(source.line) for source in sources]
        out: dict[str, _SegmentResult] = {}
        order = sorted(range(len(texts)), key=lambda k: len(ids[k]))  # similar lengths: little padding
        for batch in self._batches(order, ids, settings.beam):
            hypotheses = self._search([ids[k] for k in batch], settings)
            for k, hypothesis in zip(batch, hypotheses):
                out[texts[k]] = self._segment_result(texts[k], sources[k], hypothesis, settings.guard)
        return out

    def _batches(self, order: list[int], ids: list[list[int]], beam: int) -> list[list[int]]:
        """Consecutive runs of the length-sorted order within the batch size and token budget."""
        rows = max(1, self.options.max_batch_size // beam)
        tokens = max(1, self.options.max_batch_tokens // beam)
        batches: list[list[int]] = []
        for k in order:
            longest = len(ids[k]) + 1 + len(self.source_prefix)
            if batches and len(batches[-1]) < rows and (len(batches[-1]) + 1) * longest <= tokens:
                batches[-1].append(k)
            else:
                batches.append([k])
        return batches

    def _search(self, rows: list[list[int]], settings: _Settings) -> list[Hypothesis]:
        sources = [self.source_ids(row) for row in rows]
        src = np.full((len(rows), max(map(len, sources))), self.special.pad, dtype=np.int64)  # (B, S)
        for r, row in enumerate(sources):
            src[r, :len(row)] = row
        cap = self.model_info.max_seq_len - 1
        if settings.max_length is not None:
            cap = min(cap, settings.max_length)
        limits = length_limits(np.array([len(r) for r in rows]), self.max_len_a, self.max_len_b, cap)
        if settings.beam == 1 and self.aggressive:
            return aggressive_search(self.model, src, limits, self.special)
        if settings.beam == 1:
            return greedy_search(self.model, src, limits, self.special)
        return beam_search(self.model, src, limits, settings.beam, self.special, self.options.length_penalty)

    def _segment_result(self, text: str, source: ModelInput, hypothesis: Hypothesis,
                        use_guard: bool) -> _SegmentResult:
        edits, rejected = self.segment_edits(text, hypothesis, use_guard, source)
        if rejected:
            log.debug("kept the source of %r: %s", text[:60], rejected)
        return _SegmentResult(self.stages.segment_edits(text, edits), rejected)

    def segment_edits(self, text: str, hypothesis: Hypothesis, guard: bool = True,
                      source: ModelInput | None = None) -> tuple[tuple[Edit, ...], str]:
        """The edits that a model output (ids and their log-probs) makes to one segment, each with its
        confidence, and "" — or, when the output is rejected, no edits and the reason."""
        if not hypothesis.complete:
            return (), "no end of sentence within the length limit"
        source = source or model_input(text)
        hyp = self.codec.decode(hypothesis.ids, hypothesis.log_probs)
        norm = [self.codec.normalize(t.text) for t in source.tokens]
        if guard:
            verdict = guard_checks.check(norm, [h.text for h in hyp], self.options.guard)
            if not verdict.ok:
                return (), verdict.reason
        # Never touched: tokens the model cannot spell, or whose normalised form it would not write back
        # as one token (an RLM mark normalises to nothing, the ligature ﷺ to four words).
        opaque = [not n or " " in n or self.codec.opaque(t.text) for n, t in zip(norm, source.tokens)]
        rendered = render(text, source.tokens, norm, opaque, hyp, math.exp(hypothesis.eos_log_prob))
        return rendered_edits(text, rendered), ""

    def _assemble(self, text: str, segments: list[Segment], results: dict[str, _SegmentResult],
                  min_confidence: float | None, punctuation: bool = True) -> Correction:
        edits = self.stages.document_edits(text, [(s.start, results[s.text].edits) for s in segments],
                                           punctuation=punctuation)
        if min_confidence is not None:  # an edit without a score (a spacing rule) is not a low score
            edits = [e for e in edits if e.confidence is None or e.confidence >= min_confidence]
        edits = tuple(edits)
        return Correction(text, apply_edits(text, edits), edits)


def _chosen_policy(info: ModelInfo, options: CorrectorOptions) -> dict:
    """model.json's policy, or its strict or learner one when asked for and tuned (else, with a note, its policy)."""
    for asked, name, policy in (("strict", "strict_policy", info.strict_policy),
                                ("learner", "learner_policy", info.learner_policy)):
        if getattr(options, asked):
            if policy:
                return dict(policy)
            log.warning("%s has no %s; correcting with its policy", info.path.name, name)
    return dict(info.policy)


def _tagger_stage(info: ModelInfo, device: str, options: CorrectorOptions) -> TaggerStage:
    """The directory's edit tagger. It proposes every tag from TAGGER_FLOOR up; the edit policy's thresholds
    then choose which are shown (as `training.tune` does)."""
    spec = info.tagger
    codec = SubwordCodec(info.path / spec.tokenizer)
    vocab = TagVocab.load(info.path / spec.tags)
    session = open_tagger(info.path / spec.file, device, options.threads, spec.d_model)
    fingerprint = info.recorded.get(spec.file) or sha256_file(info.path / spec.file)
    return TaggerStage(session, codec, vocab, TagPolicy(TAGGER_FLOOR, TAGGER_FLOOR), spec.max_seq_len,
                       info.pad_id, options.max_batch_tokens, fingerprint)


def _stats_path(info: ModelInfo, source: str) -> Path:
    """The mapped tables of a statistics file when model.json records them (nahawi.tables), else the file."""
    tables = next(name for name, built_from in TABLES_SOURCES.items() if built_from == source)
    return info.path / (tables if tables in info.recorded else source)


def _lexicon(info: ModelInfo, policy) -> Lexicon | None:
    """The directory's lexicon with the settings `policy` picks; with its gate when the policy sets one."""
    path, gate_path = _stats_path(info, LEXICON_FILE), info.path / GATE_FILE
    if not path.is_file():
        return None
    gate = None
    if policy.get("lexicon_gate") is not None:
        if not gate_path.is_file():
            raise ModelError(f"{gate_path}: missing, but model.json's policy sets lexicon_gate")
        gate = load_gate(gate_path)
    return load_lexicon(path, lexicon_config(policy), gate)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def validate_call(texts, beam, max_length, guard, min_confidence, punctuation=True) -> None:
    """Check correct_batch's arguments before any work; InputError names the bad value."""
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
        raise InputError(f"texts must be a list of str, got {type(texts).__name__}")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"texts[{index}] must be a str, got {type(text).__name__}")
    if not _is_int(beam) or not 1 <= beam <= MAX_BEAM:
        raise InputError(f"beam must be an integer from 1 to {MAX_BEAM}, got {beam!r}")
    if max_length is not None and (not _is_int(max_length) or max_length < 1):
        raise InputError(f"max_length must be a positive integer or None, got {max_length!r}")
    if not isinstance(guard, bool):
        raise InputError(f"guard must be True or False, got {guard!r}")
    if min_confidence is not None and (isinstance(min_confidence, bool)
                                       or not isinstance(min_confidence, (int, float))
                                       or not 0.0 <= min_confidence <= 1.0):
        raise InputError(f"min_confidence must be a number from 0 to 1 or None, got {min_confidence!r}")
    if not isinstance(punctuation, bool):
        raise InputError(f"punctuation must be True or False, got {punctuation!r}")


def _validate_options(options: CorrectorOptions) -> None:
    if not isinstance(options, CorrectorOptions):
        raise InputError(f"options must be CorrectorOptions, got {type(options).__name__}")
    positive = {"max_batch_size": options.max_batch_size, "max_batch_tokens": options.max_batch_tokens,
                "segment_words": options.segment_words}
    for name, value in positive.items():
        if not _is_int(value) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    for name in ("verify_hashes", "lexicon", "spacing", "policy", "punctuation", "strict", "learner", "tagger",
                 "latin_marks"):
        if not isinstance(getattr(options, name), bool):
            raise InputError(f"{name} must be True or False, got {getattr(options, name)!r}")
    if options.strict and options.learner:
        raise InputError("strict and learner are two policies: choose one")
    if not _is_int(options.cache_size) or options.cache_size < 0:
        raise InputError(f"cache_size must be a non-negative integer, got {options.cache_size!r}")
    if options.threads is not None and (not _is_int(options.threads) or options.threads < 1):
        raise InputError(f"threads must be a positive integer or None, got {options.threads!r}")
    if options.max_len_a is not None and not (isinstance(options.max_len_a, (int, float))
                                              and options.max_len_a > 0):
        raise InputError(f"max_len_a must be a positive number or None, got {options.max_len_a!r}")
    if options.max_len_b is not None and (not _is_int(options.max_len_b) or options.max_len_b < 0):
        raise InputError(f"max_len_b must be a non-negative integer or None, got {options.max_len_b!r}")
    if options.search not in SEARCHES:
        raise InputError(f"search must be one of {', '.join(SEARCHES)}, got {options.search!r}")
    if not isinstance(options.length_penalty, (int, float)) or not math.isfinite(options.length_penalty):
        raise InputError(f"length_penalty must be a finite number, got {options.length_penalty!r}")
