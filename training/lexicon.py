"""Build the spelling-variant lexicon (nahawi.lexicon) from clean text: benchmark-tokenised word counts.
No torch needed. Only words that share a fold key with another word, or contain a foldable letter, matter
for suggestions, but every word is kept (with min_count) so the engine can also ask whether a word is known.
Bigram counts are kept only for pairs touching a word that has other spellings (what context scoring needs)
and for pairs that are also written as one counted word (`يا رب` / `يارب`: what the spacing stage weighs).
"""
from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from itertools import pairwise
from pathlib import Path

from nahawi.lexicon import SENTENCE_END, SENTENCE_START, fold_variants
from nahawi.text.punct import is_punct_char, tokenize_punct


def corpus_paths(corpus_root: Path, names: Iterable[str] = ()) -> list[Path]:
    """The named corpus files under corpus_root, or every *.txt.gz there when none is named. ConfigError
    when one is missing or there are none: a stage must not silently count other text than asked."""
    from nahawi.errors import ConfigError

    names = [name for name in names if name]
    paths = [corpus_root / name for name in names] if names else sorted(corpus_root.glob("*.txt.gz"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(f"missing corpus files: {', '.join(missing)}")
    if not paths:
        raise ConfigError(f"no corpus files under {corpus_root}")
    return paths


def read_lines(paths: Iterable[Path], seats: dict[str, str] | None = None) -> Iterator[str]:
    """The files' lines; the books' (training.data.corpus_stream.BOOKS) with their Cairo hamza seats rewritten
    to the news' (`seats`: book form → news form) so that one convention is counted."""
    from training.data.corpus_stream import BOOKS, rewrite_words

    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        rewrite = seats if seats and path.name == BOOKS else None
        with opener(path, "rt", encoding="utf-8") as handle:
            if rewrite is None:
                yield from handle
            else:
                yield from (rewrite_words(tokenize_punct(line), rewrite) for line in handle)


def count_words(lines: Iterable[str], min_count: int = 2) -> dict[str, int]:
    counts: Counter = Counter()
    for line in lines:
        counts.update(w for w in tokenize_punct(line).split() if not all(map(is_punct_char, w)))
    return {w: c for w, c in counts.items() if c >= min_count}


def ambiguous_words(counts: dict[str, int]) -> frozenset[str]:
    """Words that share their fold key (nahawi.lexicon.fold_variants) with another counted word."""
    groups: dict[str, list[str]] = {}
    for word in counts:
        groups.setdefault(fold_variants(word), []).append(word)
    return frozenset(w for group in groups.values() if len(group) > 1 for w in group)


def count_bigrams(lines: Iterable[str], words: frozenset[str], min_count: int = 2,
                  joined: Container[str] = frozenset()) -> dict[tuple[str, str], int]:
    """Counts of the adjacent token pairs (marks and line ends included) that touch one of `words`, or that
    make one of `joined` when written together."""
    counts: Counter = Counter()
    for line in lines:
        tokens = [SENTENCE_START, *tokenize_punct(line).split(), SENTENCE_END]
        counts.update(pair for pair in pairwise(tokens)
                      if pair[0] in words or pair[1] in words or pair[0] + pair[1] in joined)
    return {pair: c for pair, c in counts.items() if c >= min_count}


def build_lexicon(paths: list[Path], min_count: int = 2, bigrams: bool = True, seats: dict[str, str] | None = None):
    """Word counts and (with bigrams) the context counts of the words that have other spellings, and the
    counts of word pairs that are also written as one counted word."""
    counts = count_words(read_lines(paths, seats), min_count)
    pairs = (count_bigrams(read_lines(paths, seats), ambiguous_words(counts), min_count, joined=counts)
             if bigrams else {})
    return counts, pairs
