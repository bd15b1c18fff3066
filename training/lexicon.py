"""Build the spelling-variant lexicon (nahawi.lexicon) from clean text: benchmark-tokenised word counts.
No torch needed. Only words that share a fold key with another word, or contain a foldable letter, matter
for suggestions, but every word is kept (with min_count) so the engine can also ask whether a word is known.
"""
from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from nahawi.text.punct import is_punct_char, tokenize_punct


def read_lines(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            yield from handle


def count_words(lines: Iterable[str], min_count: int = 2) -> dict[str, int]:
    counts: Counter = Counter()
    for line in lines:
        counts.update(w for w in tokenize_punct(line).split() if not all(map(is_punct_char, w)))
    return {w: c for w, c in counts.items() if c >= min_count}
