"""`nahawi adapt` as a library call: read what a profile and the given files hold, learn, keep it.

Every input is read and checked before anything is learned or written (a bad feedback line, a document
that is not UTF-8: `ProfileError`/`InputError` naming the file and line, the profile untouched). The
feedback decisions and the suggestions the engine still makes on the writer's documents (ignored by
definition: the writer wrote them that way) are appended to the profile's decisions log, so a later
`adapt` refits on everything (unless the writer turned recording decisions off: then they are learned
from and not kept); the documents' words are added to the overlay. Knows nothing of the CLI.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nahawi.errors import InputError
from nahawi.profile.adapter_fit import AdapterConfig, fit_adapter
from nahawi.profile.decisions import Decision, now, read_decisions
from nahawi.profile.learn import AdaptConfig, learn
from nahawi.profile.overlay import document_counts
from nahawi.profile.store import ADAPTER, DECISIONS, Profile, ProfileError, read_text_lines
from nahawi.profile.writer import WriterModel


@dataclass(frozen=True)
class AdaptReport:
    profile: str
    documents: int
    new_words: tuple[str, ...]  # words the overlay did not have before (sorted by count, then word)
    words: int  # words and pairs in the overlay now
    pairs: int
    learned: dict = field(default_factory=dict)  # learned.json as written
    seconds: float = 0.0
    recorded: bool = True  # the new decisions were kept in the log (False: recording decisions is off)
    adapter: dict | None = None  # the tagger adapter's fitting (AdapterReport.to_dict), None when none was fitted

    def to_dict(self) -> dict:
        return {"profile": self.profile, "documents": self.documents, "new_words": len(self.new_words),
                "words": self.words, "pairs": self.pairs, "seconds": round(self.seconds, 2),
                "summary": self.learned.get("summary", {}), "thresholds": self.learned.get("thresholds", {}),
                "gate_weights": len(self.learned.get("gate", {})),
                "punctuation_weights": sum(map(len, self.learned.get("punctuation", {}).values())),
                "suppressed_pairs": len(self.learned.get("suppressed_pairs", [])),
                "suppressed_contexts": len(self.learned.get("suppressed_contexts", [])),
                "decisions_recorded": self.recorded, "adapter": self.adapter}


def read_documents(paths: Sequence[str | Path]) -> list[str]:
    """The writer's documents (UTF-8 text or Markdown), each as one string; errors name the file."""
    documents = []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"{path}: no such document")
        documents.append("\n".join(read_text_lines(path)))
    return documents


Progress = Callable[[int, int], None]  # (lines corrected, lines in all); it may raise to stop the learning
PROGRESS_LINES = 32  # lines of the documents corrected between two progress calls


def document_lines(documents: Sequence[str]) -> list[str]:
    """The lines of the documents that hold text: what the engine corrects to find what it still suggests."""
    return [line for document in documents for line in document.splitlines() if line.strip()]


def document_decisions(corrector, lines: Sequence[str], progress: Progress | None = None) -> list[Decision]:
    """What the engine still suggests on the writer's clean lines (`document_lines`), as ignored decisions
    (one line of context each); progress is told before each PROGRESS_LINES lines after the first."""
    stamp, decisions = now(), []
    for first in range(0, len(lines), PROGRESS_LINES):
        if progress is not None and first:
            progress(first, len(lines))
        decisions += [Decision(c.source, e.start, e.end, e.replacement, e.kind, "ignored", e.rule_id, stamp)
                      for c in corrector.correct_batch(lines[first:first + PROGRESS_LINES]) for e in c.edits]
    return decisions


def adaptable_tagger(corrector):
    """The engine's tagger stage when a writer's adapter can be fitted on it (its graph gives its states)."""
    tagger = getattr(corrector, "tagger", None)
    return tagger if tagger is not None and getattr(tagger.model, "has_hidden", False) else None


def write_adapter(profile: Profile, adapter) -> None:
    """Keep the fitted adapter in the profile, or remove an older one when nothing was left to learn."""
    path = profile.file(ADAPTER)
    if adapter is None:
        path.unlink(missing_ok=True)
        return
    profile.ensure()
    try:
        adapter.save(path)
    except OSError as error:
        raise ProfileError(f"{path}: cannot be written ({error.strerror or error})") from None


def adapt(profile: Profile, corrector, documents: Sequence[str] = (), feedback: Sequence[Decision] = (),
          config: AdaptConfig = AdaptConfig(), progress: Progress | None = None,
          adapter_config: AdapterConfig | None = AdapterConfig()) -> AdaptReport:
    """Learn from the profile's log, `documents` and `feedback`, and write the profile. `corrector` is an
    engine without a profile (`Corrector.from_dir`); it ends adapted to the new profile. `progress` follows
    the correction of the documents (the long part); an exception it raises stops the learning before
    anything is written (the engine is then left with the overlay only: adapt it to the profile again); its
    last call, (all, all), comes once everything is learned, before anything is written. When the engine has
    a tagger whose graph gives its states, a writer's adapter is fitted on every decision too (its steps
    follow the lines in the progress; `adapter_config` None: none is fitted and an older one is kept)."""
    began = time.perf_counter()
    recording = profile.records_decisions()
    logged = read_decisions(profile.file(DECISIONS))
    dictionary = frozenset(profile.dictionary().words)
    words, pairs = profile.overlay()
    before = set(words)
    new_words, new_pairs = document_counts(documents)
    for word, count in new_words.items():
        words[word] = words.get(word, 0) + count
    for pair, count in new_pairs.items():
        pairs[pair] = pairs.get(pair, 0) + count
    corrector.adapt_to(WriterModel(words, pairs, dictionary))
    lines = document_lines(documents)
    tagger = adaptable_tagger(corrector) if adapter_config is not None else None
    work = len(lines) + (adapter_config.steps if tagger is not None else 0)  # progress: lines, then steps
    told = None if progress is None else (lambda done, _total: progress(done, work))
    implied = document_decisions(corrector, lines, told)
    stamp = now()
    fresh = [Decision(d.text, d.start, d.end, d.replacement, d.kind, d.decision, d.rule_id, d.time or stamp)
             for d in (*feedback, *implied)]
    learned = learn([*logged, *fresh], corrector.stages.lexicon, corrector.base_stages.punctuation, config)
    fitted = None
    if tagger is not None:
        step = iter(range(1, adapter_config.steps + 1))
        stop = None if progress is None else (lambda: progress(len(lines) + next(step, adapter_config.steps), work))
        fitted = fit_adapter(tagger, [*logged, *fresh], adapter_config, stop, lines)
    if progress is not None:
        progress(work, work)  # the last moment to stop: nothing is written yet
    profile.write_overlay(words, pairs)
    if recording:
        profile.append_decisions(d.to_dict() for d in fresh)
    profile.write_learned(learned)
    if fitted is not None:
        write_adapter(profile, fitted.adapter)
    corrector.adapt_to(WriterModel.from_profile(profile))
    added = sorted(set(words) - before, key=lambda w: (-words[w], w))
    return AdaptReport(str(profile.path), len(documents), tuple(added), len(words), len(pairs), learned,
                       time.perf_counter() - began, recording, None if fitted is None else fitted.to_dict())
