"""The one engine of the server, behind one worker thread.

Owns loading the `nahawi.engine.Corrector` for the configured model directory and device (off the event
loop, once per setting; a failure is kept, not retried, until the setting changes) and running
`correct_batch` on that same thread, so inference never blocks the LSP loop and engine calls are
serialized. Jobs that became stale while queued are skipped. A loaded model's objects are frozen out of
the garbage collector (each full collection walked them all: 100+ ms pauses on the protocol thread).
Knows nothing of LSP or documents.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from nahawi.contract import Edit
from nahawi.errors import NahawiError

log = logging.getLogger("nahawi.lsp")

CACHE_SENTENCES = 1 << 15  # the engine's sentence cache: a re-checked paragraph decodes only its new sentences


@dataclass
class EngineStats:
    loads: int = 0
    load_seconds: float = 0.0
    calls: int = 0  # correct_batch calls
    segments: int = 0  # paragraphs sent to the engine
    skipped_jobs: int = 0  # queued jobs dropped because their document changed first
    seconds: float = 0.0  # time spent in correct_batch
    last: dict = field(default_factory=dict)  # the latest call: paragraphs and seconds


@dataclass(frozen=True)
class EngineKey:
    """The settings an engine is loaded for: a change to any of them loads another."""
    model_dir: str | None = None
    device: str = "auto"
    strict: bool = False
    latin_marks: bool = False
    learner: bool = False


class EngineHost:
    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nahawi-engine")
        self._loading: dict[tuple[str | None, str], asyncio.Future] = {}  # loads in progress, by key
        self.key: EngineKey | None = None  # what the engine (or the failure) was loaded for
        self.corrector = None
        self.error: str = ""  # why the engine for `key` could not be loaded
        self.stats = EngineStats()

    async def ensure(self, key: EngineKey):
        """The Corrector for key's settings, loading it on the worker thread if a setting changed;
        None when it cannot be loaded (the reason is in `error`). A caller cancelled while waiting does not
        cancel the load: the next caller gets the same one."""
        if self.key == key:
            return self.corrector
        if key not in self._loading:
            future = asyncio.get_running_loop().run_in_executor(self._executor, self._load, key)
            self._loading[key] = future

            def loaded(done: asyncio.Future) -> None:
                self._loading.pop(key, None)
                if not done.cancelled() and done.exception() is None:
                    (self.corrector, self.error), self.key = done.result(), key

            future.add_done_callback(loaded)
        await asyncio.shield(self._loading[key])
        return self.corrector if self.key == key else None

    def _load(self, key: EngineKey):
        from nahawi.engine import Corrector, CorrectorOptions

        started = time.perf_counter()
        try:
            options = CorrectorOptions(strict=key.strict, learner=key.learner and not key.strict,
                                       latin_marks=key.latin_marks, cache_size=CACHE_SENTENCES)
            corrector = Corrector.from_dir(key.model_dir, device=key.device, options=options)
        except NahawiError as error:
            log.error("model not loaded: %s", error)
            return None, str(error)
        except Exception as error:  # onnxruntime and friends raise their own types
            log.exception("model not loaded")
            return None, f"{type(error).__name__}: {error}"
        gc.collect()
        gc.freeze()  # the model's tables are millions of long-lived objects: keep the collector off them
        self.stats.loads += 1
        self.stats.load_seconds = time.perf_counter() - started
        log.info("model loaded in %.2fs: %s", self.stats.load_seconds, corrector.info)
        return corrector, ""

    def correct(self, corrector, texts: Sequence[str], still_wanted: Callable[[], bool],
                punctuation: bool = True) -> asyncio.Future:
        """A future of {text: edits} for texts, computed by corrector on the worker thread (without running the
        punctuation model when `punctuation` is False); None when the job was dropped because still_wanted()
        was false when its turn came."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, self._correct, corrector, list(texts), still_wanted, punctuation)

    def run(self, function: Callable, *args) -> asyncio.Future:
        """A future of function(*args) run on the engine thread, between engine calls (changing the engine
        there never races a correction)."""
        return asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _correct(self, corrector, texts: list[str], still_wanted: Callable[[], bool],
                 punctuation: bool = True) -> dict[str, tuple[Edit, ...]] | None:
        if not still_wanted():
            self.stats.skipped_jobs += 1
            return None
        started = time.perf_counter()
        corrections = corrector.correct_batch(texts, punctuation=punctuation)
        seconds = time.perf_counter() - started
        self.stats.calls += 1
        self.stats.segments += len(texts)
        self.stats.seconds += seconds
        self.stats.last = {"segments": len(texts), "seconds": round(seconds, 4)}
        return {text: correction.edits for text, correction in zip(texts, corrections)}

    def info(self) -> dict:
        info = self.corrector.info if self.corrector is not None else None
        return {"loaded": self.corrector is not None, "error": self.error,
                "modelDir": info.model_dir if info else None, "device": info.device if info else None,
                "provider": info.provider if info else None, "loadSeconds": round(self.stats.load_seconds, 3),
                "policy": _policy_name(self.corrector.options) if self.corrector is not None else None,
                "seq2seq": self.corrector.uses_model if self.corrector is not None else None,
                "cache": vars(self.corrector.cache_stats()) if self.corrector is not None else None}

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _policy_name(options) -> str:
    """Which of the model's policies the engine corrects with (as asked for: nahawi.strict, nahawi.learner)."""
    return "strict" if options.strict else "learner" if options.learner else "default"
