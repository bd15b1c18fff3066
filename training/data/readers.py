"""Readers for the training corpora: QALB `.sent`/`.cor` and `.m2`, ZAEBUC raw/corrected, parallel
TSV/JSONL and clean monolingual text (plain or gzip).

Owns the `Pair` record and the guard that keeps test splits out of training. Knows nothing about
segmentation, error kinds or mixing; every reader returns whole lines (documents) as they are stored.
"""
from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import InputError


@dataclass(frozen=True)
class Pair:
    source: str  # erroneous text
    target: str  # corrected text
    origin: str  # where it comes from: "real", "synth", "hamza", "identity", "dev"
    kind: str = ""  # main edit-kind id (nahawi.kinds) or "none"; "" when not yet classified
    doc_id: str = ""  # document id when the corpus has one


# A path component naming a test split: a folder "test"/"Test", or a file "QALB-2014-L1-Test.m2",
# "test.sent.raw" ... (but not "test_readers0" or "contest.txt").
_TEST_PART = re.compile(r"^test$|(^|[-.])test\.", re.IGNORECASE)


def guard_not_test(path: str | Path) -> Path:
    """Refuse a test-split path as training data (the benchmark must never be trained or tuned on)."""
    path = Path(path)
    for part in path.parts:
        if _TEST_PART.search(part):
            raise InputError(f"refusing to read test-split data for training: {path}")
    return path


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _read_lines(path: Path) -> list[str]:
    guard_not_test(path)
    if not path.exists():
        raise InputError(f"missing data file: {path}")
    with _open_text(path) as handle:
        return [line.rstrip("\n").rstrip("\r") for line in handle]


def split_doc_id(line: str) -> tuple[str, str]:
    """`"<id> <text>"` → (id, text). QALB `.sent` lines carry a document id, `.cor` lines carry "S"."""
    doc_id, _, text = line.partition(" ")
    return doc_id, text


def read_qalb_lines(path: str | Path) -> list[tuple[str, str]]:
    """(doc_id, text) per line of a QALB `.sent`/`.cor` file; `.no_ids` files give empty ids."""
    path = Path(path)
    lines = _read_lines(path)
    if path.name.endswith(".no_ids"):
        return [("", line) for line in lines]
    return [split_doc_id(line) for line in lines]


def read_qalb_pairs(sent: str | Path, cor: str | Path) -> list[Pair]:
    """Pairs from aligned `.sent` and `.cor` files (with or without ids), one per document."""
    sources, targets = read_qalb_lines(sent), read_qalb_lines(cor)
    if len(sources) != len(targets):
        raise InputError(f"{sent} has {len(sources)} lines but {cor} has {len(targets)}")
    return [Pair(src, tgt, "real", doc_id=sid) for (sid, src), (_, tgt) in zip(sources, targets)]


@dataclass(frozen=True)
class M2Sentence:
    source: str  # the S line without "S "
    edits: tuple[tuple[int, int, str, str], ...]  # (start, end, type, correction) of one annotator


def read_m2(path: str | Path, annotator: int = 0) -> list[M2Sentence]:
    """Parse an M2 file with the core reader (nahawi.m2), keeping the first correction of each edit of one
    annotator (noop edits dropped)."""
    from nahawi.m2.reader import read_m2 as read_gold

    path = guard_not_test(path)
    if not path.exists():
        raise InputError(f"missing data file: {path}")
    return [M2Sentence(gold.source, tuple((e.start, e.end, e.type, e.corrections[0])
                                          for e in gold.gold_sets().get(annotator, ())))
            for gold in read_gold(path)]


def apply_m2(sentence: M2Sentence) -> str:
    """The corrected side: apply the (non-overlapping) token edits right to left."""
    tokens = sentence.source.split()  # M2 offsets count whitespace-separated tokens
    for start, end, _, correction in sorted(sentence.edits, key=lambda e: (e[0], e[1]), reverse=True):
        tokens[start:end] = correction.split() if correction else []
    return " ".join(tokens)


def read_m2_pairs(path: str | Path, annotator: int = 0) -> list[Pair]:
    """Pairs (S line, S line corrected by the annotator's edits) from an M2 file."""
    return [Pair(s.source, apply_m2(s), "real") for s in read_m2(path, annotator)]


def read_zaebuc_pairs(root: str | Path, split: str = "train") -> list[Pair]:
    """ZAEBUC essays of `root/split/` from the punctuation-tokenised raw/corrected files (the benchmark
    tokenisation), one pair per essay."""
    directory = Path(root) / split
    rows = _read_parallel_files(directory / f"{split}.sent.raw.pnx.tok",
                                directory / f"{split}.sent.cor.pnx.tok")
    return [Pair(src, tgt, "real", doc_id=f"zaebuc-{split}-{i}") for i, (src, tgt) in enumerate(rows)]


def _read_parallel_files(source: Path, target: Path) -> list[tuple[str, str]]:
    sources, targets = _read_lines(source), _read_lines(target)
    if len(sources) != len(targets):
        raise InputError(f"{source} has {len(sources)} lines but {target} has {len(targets)}")
    return list(zip(sources, targets))


def read_parallel(path: str | Path, origin: str = "real") -> list[Pair]:
    """Pairs from a TSV (`source<TAB>target`) or JSONL (`{"source":..., "target":...}`) file."""
    path = Path(path)
    pairs = []
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        if path.suffix in (".jsonl", ".json") or path.name.endswith(".jsonl.gz"):
            record = json.loads(line)
            pairs.append(Pair(record["source"], record["target"], record.get("origin", origin),
                              record.get("kind", "")))
        else:
            fields = line.split("\t")
            if len(fields) != 2:
                raise InputError(f"{path}:{number}: expected 2 tab-separated fields, got {len(fields)}")
            pairs.append(Pair(fields[0], fields[1], origin))
    return pairs


def iter_monolingual(path: str | Path) -> Iterator[str]:
    """Non-empty paragraphs (one per line) of a clean text file, plain or `.gz`, streamed."""
    path = guard_not_test(path)
    if not path.exists():
        raise InputError(f"missing corpus file: {path}")
    with _open_text(path) as handle:
        for line in handle:
            line = line.strip()
            if line:
                yield line
