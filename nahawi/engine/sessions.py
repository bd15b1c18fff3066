"""ONNX Runtime sessions for the encoder and decoder: provider choice, thread settings, and the step calls.

Owns which execution provider runs the model (CUDA only when a session really runs on it, else CPU with a
one-line notice saying why), how many intra-op threads it uses (cores not already busy, or
`NAHAWI_THREADS`), the calls of the fixed ONNX interface (`encode`, `step`, and `verify` where the
decoder takes several new tokens at once), and loading onnxruntime
with its telemetry off (`import_onnxruntime`, the one way the project imports it). Knows nothing of text,
search or edits.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from nahawi.errors import InputError, ModelError
from nahawi.model_dir import (
    DECODER_ALL_LOG_PROBS,
    DECODER_INPUTS,
    DECODER_OUTPUTS,
    ENCODER_INPUTS,
    ENCODER_OUTPUTS,
    TAGGER_HIDDEN,
    TAGGER_INPUTS,
    TAGGER_OUTPUTS,
)

log = logging.getLogger("nahawi.engine")

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
DEVICES = ("auto", "cpu", "cuda")
THREADS_ENV = "NAHAWI_THREADS"
NO_CUDA_PROVIDER = "onnxruntime has no CUDAExecutionProvider"
TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


def import_onnxruntime():
    """The onnxruntime module, loaded with its telemetry off. onnxruntime-gpu 1.31 writes a device id and an
    event queue for its vendor under ~/.cache/Microsoft/DeveloperTools/.onnxruntime as soon as the library
    loads, unless ORT_DISABLE_TELEMETRY=1 is set by then; disable_telemetry_events() alone leaves those files
    written (measured), so both are used. A tool that works offline sends nothing and queues nothing."""
    os.environ[TELEMETRY_ENV] = "1"
    import onnxruntime as ort

    ort.disable_telemetry_events()
    return ort


def free_cores() -> int:
    """Cores this process may use minus those other processes keep busy (1-minute load average, counting
    this process as one of the busy ones), at least 1. Oversubscribed ORT threads spin and collapse
    throughput on a shared machine, so fewer is safer."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        busy = max(0, round(os.getloadavg()[0]) - 1)
    except OSError:
        busy = 0
    return max(1, cores - busy)


SMALL_MODEL_D = 384  # up to this width one thread decodes faster than two (docs/RESULTS.md, speed)


def resolve_threads(threads: int | None, d_model: int | None = None) -> int:
    """The intra-op thread count: the explicit value, else NAHAWI_THREADS, else OMP_NUM_THREADS, else one
    thread for a small model (d_model <= SMALL_MODEL_D: the int8 tiny model ran 137 sentences/s on one thread
    and 95 on two here, thread hand-offs costing more than the small matrix products), else the free cores."""
    if threads is not None:
        return _positive_threads(threads, "threads")
    for name in (THREADS_ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                return _positive_threads(int(value), name)
            except ValueError:
                raise InputError(f"{name} must be a positive integer, got {value!r}") from None
    if d_model is not None and d_model <= SMALL_MODEL_D:
        return 1
    return free_cores()


def _positive_threads(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return value


def session_options(threads: int):
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: a failed CUDA load is reported by us, once
    if threads < (os.cpu_count() or 1):  # a shared machine: idle threads must yield, not spin
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OrtSeq2Seq:
    """The encoder and decoder sessions behind the fixed ONNX interface (implements search.StepModel)."""

    def __init__(self, encoder, decoder, provider: str, threads: int, notice: str = ""):
        self.encoder, self.decoder = encoder, decoder
        self.provider, self.threads = provider, threads
        self.notice = notice  # why CUDA is not used, when "auto" looked for it

    @property
    def device(self) -> str:
        return "cuda" if self.provider == CUDA else "cpu"

    def encode(self, src_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cross_k, cross_v = _run(self.encoder, ["cross_k", "cross_v"], {"src_ids": src_ids})
        return cross_k, cross_v  # (L, B, H, S, dh) each

    def step(self, input_ids, step, src_ids, cross_k, cross_v, past_k, past_v):
        feeds = {"input_ids": input_ids, "step": np.array(step, dtype=np.int64), "src_ids": src_ids,
                 "cross_k": cross_k, "cross_v": cross_v, "past_k": past_k, "past_v": past_v}
        log_probs, present_k, present_v = _run(self.decoder, ["log_probs", "present_k", "present_v"], feeds)
        return log_probs, present_k, present_v  # (B, V), (L, B, H, T + 1, dh) x 2

    @property
    def parallel(self) -> bool:
        """Whether the decoder takes several new tokens per call (graphs exported with all_log_probs)."""
        return DECODER_ALL_LOG_PROBS in {o.name for o in self.decoder.get_outputs()}

    def verify(self, input_ids, step, src_ids, cross_k, cross_v, past_k, past_v):
        """input_ids (B, N) at positions step .. step + N - 1 in one call (search.ParallelStepModel)."""
        if not self.parallel:
            raise ModelError("this decoder graph takes one token per call (exported before aggressive "
                             "decoding); export the model again or decode greedily")
        feeds = {"input_ids": input_ids, "step": np.array(step, dtype=np.int64), "src_ids": src_ids,
                 "cross_k": cross_k, "cross_v": cross_v, "past_k": past_k, "past_v": past_v}
        all_log_probs, present_k, present_v = _run(
            self.decoder, [DECODER_ALL_LOG_PROBS, "present_k", "present_v"], feeds)
        return all_log_probs, present_k, present_v  # (B, N, V), (L, B, H, T + N, dh) x 2


class LazySeq2Seq:
    """The encoder and decoder sessions, opened by the first call that needs them (`open`: a function
    returning an OrtSeq2Seq). A policy that never decodes the model never imports onnxruntime nor reads
    the graphs: ~0.3 s and ~35 MB of a one-sentence run."""

    def __init__(self, open_sessions):
        self._open, self._model = open_sessions, None
        self._lock = threading.Lock()  # two workers decoding at once open the sessions once

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> OrtSeq2Seq:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._open()
        return self._model

    def encode(self, src_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.load().encode(src_ids)

    def step(self, *args):
        return self.load().step(*args)

    def verify(self, *args):
        return self.load().verify(*args)

    def __getattr__(self, name: str):  # device, provider, threads, notice, encoder, decoder
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.load(), name)


def check_positions(model: OrtSeq2Seq, max_seq_len: int, eos: int = 3, bos: int = 2) -> None:
    """The graphs hold the positions model.json promises: a source of max_seq_len ids encodes and a decoder
    step at the last position runs (a shorter position table fails there, and would otherwise fail only on
    the first long sentence, after output was written)."""
    src = np.full((1, max_seq_len), eos, dtype=np.int64)
    try:
        cross_k, cross_v = model.encode(src)
        layers, batch, heads, _, head_dim = cross_k.shape
        past = np.zeros((layers, batch, heads, max_seq_len - 1, head_dim), dtype=cross_k.dtype)
        model.step(np.array([[bos]], dtype=np.int64), max_seq_len - 1, src[:, :1], cross_k[:, :, :, :1],
                   cross_v[:, :, :, :1], past, past)
    except ModelError as error:
        raise ModelError(f"model.json says max_seq_len {max_seq_len}, but the graphs do not run at that "
                         f"length ({error})") from None


class OrtTagger:
    """The edit tagger's session: ids (B, T) -> word and mark probabilities at every piece."""

    def __init__(self, session, provider: str, threads: int):
        self.session, self.provider, self.threads = session, provider, threads
        self.has_hidden = TAGGER_HIDDEN in {o.name for o in session.get_outputs()}  # graphs before it lack it

    def tag(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        word_probs, mark_probs = _run(self.session, list(TAGGER_OUTPUTS), {"ids": ids})
        return word_probs, mark_probs  # (B, T, word tags), (B, T, marks)

    def tag_with_hidden(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`tag` and the encoder's states (B, T, d) the heads read (a writer's adapter reads them too)."""
        if not self.has_hidden:
            raise ModelError("this tagger graph has no hidden output (exported before adapters); export it again")
        word_probs, mark_probs, hidden = _run(self.session, [*TAGGER_OUTPUTS, TAGGER_HIDDEN], {"ids": ids})
        return word_probs, mark_probs, hidden


def open_tagger(path: Path, device: str = "auto", threads: int | None = None,
                d_model: int | None = None) -> OrtTagger:
    """The tagger's session: on CUDA when asked for ("cuda", an error if it cannot run there) or when "auto"
    finds the provider and the session is placed on it, else on the CPU. Opened on its own, so a policy that
    never decodes the seq2seq never opens its graphs."""
    if device not in DEVICES:
        raise InputError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    ort = import_onnxruntime()
    if not path.is_file():
        raise ModelError(f"{path}: missing ONNX file")
    threads = resolve_threads(threads, d_model)
    providers = [CUDA, CPU] if device != "cpu" and CUDA in ort.get_available_providers() else [CPU]
    if device == "cuda" and providers == [CPU]:
        raise ModelError(f"CUDA requested but unusable: {NO_CUDA_PROVIDER}")
    if CUDA in providers:  # a CUDA library that fails to load is logged by ORT in red; we say it in one line
        ort.set_default_logger_severity(4)
    try:
        session = ort.InferenceSession(str(path), sess_options=session_options(threads), providers=providers)
    except Exception as error:  # ORT raises its own exception types for bad files
        raise ModelError(f"{path}: cannot load ({_first_line(error)})") from error
    finally:
        ort.set_default_logger_severity(2)
    if CUDA in providers and session.get_providers()[0] != CUDA and device == "auto":
        log.info("CUDA not available for the tagger (the CUDA provider failed to load); using CPU")
    present = {i.name for i in session.get_inputs()} | {o.name for o in session.get_outputs()}
    missing = [name for name in (*TAGGER_INPUTS, *TAGGER_OUTPUTS) if name not in present]
    if missing:
        raise ModelError(f"{path}: not a Nahawi tagger graph (missing {', '.join(missing)})")
    provider = session.get_providers()[0]
    if device == "cuda" and provider != CUDA:
        raise ModelError("CUDA requested but unusable: the CUDA provider failed to load the tagger")
    return OrtTagger(session, provider, threads)


def _run(session, outputs: list[str], feeds: dict) -> list[np.ndarray]:
    """session.run, with ONNX Runtime's failures (shape mismatch, out of memory) as a ModelError (ORT's own
    log of the failure is kept off stderr: the error says it once)."""
    try:
        return session.run(outputs, feeds, _quiet_run())
    except Exception as error:  # ORT's pybind exceptions share no public base class
        shapes = ", ".join(f"{k} {tuple(np.shape(v))}" for k, v in feeds.items())
        raise ModelError(f"inference failed ({_first_line(error)}; inputs: {shapes})") from error


def _quiet_run():
    options = import_onnxruntime().RunOptions()
    options.log_severity_level = 4
    return options


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


def open_model(model_dir: Path, device: str = "auto", threads: int | None = None,
               files: tuple[str, str] = ("encoder.onnx", "decoder.onnx"), d_model: int | None = None) -> OrtSeq2Seq:
    """Sessions for the encoder and decoder files of model_dir on the requested device ("auto": CUDA when
    it really works, else CPU)."""
    if device not in DEVICES:
        raise InputError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    threads = resolve_threads(threads, d_model)
    paths = (model_dir / files[0], model_dir / files[1])
    if device != "cpu":
        model, why = _try_cuda(paths, threads)
        if model is not None:
            return model
        if device == "cuda":
            raise ModelError(f"CUDA requested but unusable: {why}")
        notice = f"CUDA not available ({why}); using CPU"
        # Expected on CPU-only builds of onnxruntime; a surprise when the GPU build is installed.
        log.log(logging.INFO if why == NO_CUDA_PROVIDER else logging.WARNING, notice)
        model = _create(paths, [CPU], threads)
        model.notice = notice
        return model
    return _create(paths, [CPU], threads)


def _try_cuda(paths: tuple[Path, Path], threads: int) -> tuple[OrtSeq2Seq | None, str]:
    """(sessions on CUDA, "") when the provider exists, both sessions are placed on it and a one-token
    run succeeds; else (None, why)."""
    ort = import_onnxruntime()
    if CUDA not in ort.get_available_providers():
        return None, NO_CUDA_PROVIDER
    ort.set_default_logger_severity(4)  # a missing CUDA library is logged by ORT in red; we say it in one line
    try:
        model = _create(paths, [CUDA, CPU], threads)
    except ModelError as error:
        return None, f"session creation failed: {error}"
    finally:
        ort.set_default_logger_severity(2)
    if model.encoder.get_providers()[0] != CUDA or model.decoder.get_providers()[0] != CUDA:
        return None, "the CUDA provider failed to load (driver or CUDA/cuDNN libraries missing)"
    try:
        smoke_test(model)
    except ModelError as error:
        return None, f"a trial run on CUDA failed: {error}"
    return model, ""


def smoke_test(model: OrtSeq2Seq, eos: int = 3, bos: int = 2) -> None:
    """Encode one eos-only source and decode one step; raises if the sessions cannot run."""
    src = np.array([[eos]], dtype=np.int64)
    cross_k, cross_v = model.encode(src)
    layers, batch, heads, _, head_dim = cross_k.shape
    past = np.zeros((layers, batch, heads, 0, head_dim), dtype=cross_k.dtype)
    log_probs, _, _ = model.step(np.array([[bos]], dtype=np.int64), 0, src, cross_k, cross_v, past, past)
    if not np.isfinite(log_probs).all():
        raise ModelError("the trial run produced non-finite log-probabilities")


def _create(paths: tuple[Path, Path], providers: list[str], threads: int) -> OrtSeq2Seq:
    ort = import_onnxruntime()
    options = session_options(threads)
    sessions = []
    for path in paths:
        if not path.is_file():
            raise ModelError(f"{path}: missing ONNX file")
        try:
            sessions.append(ort.InferenceSession(str(path), sess_options=options, providers=providers))
        except Exception as error:  # ORT raises its own exception types for bad files
            raise ModelError(f"{path}: cannot load ({_first_line(error)})") from error
    provider = sessions[0].get_providers()[0]
    _check_interface(sessions, paths)
    return OrtSeq2Seq(sessions[0], sessions[1], provider, threads)


def _check_interface(sessions: list, paths: tuple[Path, Path]) -> None:
    """Both graphs have the fixed interface's inputs and outputs (names from `nahawi.model_dir`)."""
    expected = ((ENCODER_INPUTS, ENCODER_OUTPUTS), (DECODER_INPUTS, DECODER_OUTPUTS))
    for session, (inputs, outputs), path in zip(sessions, expected, paths, strict=True):
        present = {i.name for i in session.get_inputs()} | {o.name for o in session.get_outputs()}
        missing = [name for name in (*inputs, *outputs) if name not in present]
        if missing:
            raise ModelError(f"{path}: not a Nahawi model graph (missing {', '.join(missing)})")
