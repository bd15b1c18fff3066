"""False alarms on correct text: the corrected side of a dataset fed as input; every proposed edit is a false
alarm. Reported per 1,000 words as edited source words (the shipped-model target: at most 2 per 1,000 words;
a join or split counts every word it touches, an inserted mark the one word it follows), as edits, and by kind."""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from nahawi.bench.quality import DATASETS, Dataset, in_dataset_marks, resolve_data_root
from nahawi.errors import InputError
from nahawi.m2.reader import read_lines

CORRECT_SIDES = {
    "qalb14-dev": "qalb/2014/dev/QALB-2014-L1-Dev.cor.no_ids",
    "qalb15-dev": "qalb/2015/dev/QALB-2015-L2-Dev.cor.no_ids",
    "zaebuc-dev": "zaebuc/dev/dev.sent.cor.pnx.tok",
}


_WORD = re.compile(r"\S+")


def count_edited_words(source: str, edits: Sequence) -> int:
    """Source words (whitespace-separated) that edits touch: a word overlapping an edit's span, or, for an
    insertion, the word it sits against; each word counted once."""
    spans = [(m.start(), m.end()) for m in _WORD.finditer(source)]
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    touched: set[int] = set()
    for edit in edits:
        if edit.start < edit.end:
            touched.update(range(bisect_right(ends, edit.start), bisect_left(starts, edit.end)))
        elif spans:  # an insertion: the word ending at it, else the word starting at it (or the nearest before)
            touched.add(max(0, min(len(spans) - 1, bisect_left(ends, edit.start))))
    return len(touched)


def alarms(dataset: Dataset, edits: Sequence) -> list:
    """The edits that change correct text of `dataset`: a mark turned into the form the dataset writes it in is
    no change there (ZAEBUC writes «،» as «,»)."""
    return [e for e in edits if in_dataset_marks(dataset, e.replacement).strip() != e.original]


def measure_false_alarms(name: str, data_root: str | Path | None = None, model_dir: Path | None = None,
                         limit: int | None = None, strict: bool = False, latin_marks: bool = False,
                         list_alarms: bool = False, learner: bool = False) -> dict:
    if name not in CORRECT_SIDES:
        raise InputError(f"unknown dataset {name!r} for false alarms; choose one of {', '.join(CORRECT_SIDES)}")
    from nahawi.engine import Corrector, CorrectorOptions

    lines = read_lines(resolve_data_root(data_root) / CORRECT_SIDES[name])[:limit]
    options = CorrectorOptions(strict=strict, learner=learner, latin_marks=latin_marks)
    corrector = Corrector.from_dir(model_dir, device="cpu", options=options)
    corrections = [(c.source, alarms(DATASETS[name], c.edits)) for c in corrector.correct_batch(lines)]
    words = sum(len(line.split()) for line in lines)
    kinds = Counter(edit.kind for _, edits in corrections for edit in edits)
    rules = Counter(edit.rule_id for _, edits in corrections for edit in edits)
    edits = sum(kinds.values())
    edited_words = sum(count_edited_words(source, edits) for source, edits in corrections)
    report = {"dataset": name, "input": "corrected side", "policy": "strict" if strict else "learner" if learner else "default",
            "latin_marks": latin_marks,
            "documents": len(lines), "words": words, "edited_words": edited_words,
            "per_1000_words": round(1000 * edited_words / max(1, words), 3),
            "edits": edits, "edits_per_1000_words": round(1000 * edits / max(1, words), 3),
            "documents_changed": sum(bool(edits) for _, edits in corrections),
            "by_kind": dict(kinds.most_common()), "by_rule": dict(rules.most_common())}
    if list_alarms:
        report["alarms"] = [describe_alarm(index, source, edit)
                            for index, (source, edits) in enumerate(corrections) for edit in edits]
    return report


def describe_alarm(document: int, source: str, edit, context_chars: int = 40) -> dict:
    """One false alarm for review: where it is, what it changes, and the correct text around it."""
    return {"document": document, "start": edit.start, "end": edit.end, "kind": edit.kind, "rule": edit.rule_id,
            "original": edit.original, "replacement": edit.replacement,
            "before": source[max(0, edit.start - context_chars):edit.start],
            "after": source[edit.end:edit.end + context_chars]}
