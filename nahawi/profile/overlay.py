"""The writer's vocabulary as an overlay on the corpus lexicon: the words and word pairs of their own clean
writing, each occurrence counted as `OverlayConfig.weight` corpus occurrences, and a word at least as
often as its most frequent spelling (so `الكره`, hatred, written by the writer, is as common for them as
`الكرة`, the ball: the unigram rule stops respelling it and the context decides).

`OverlayTables` answers every question `nahawi.lexicon.Lexicon` and `nahawi.spacing.Spacing` ask of the
corpus tables (`count`, `knows`, `usual`, `spellings`, `repair`, `bigram`, ...) with the writer's counts
added, so the lexicon stage decides exactly as before, on counts that now include the writer: a name or a
term they write stops looking rare, their usual spelling of a word can become the usual one, and their word
pairs speak in the bigram context. The corpus tables are not copied (the overlay is a small dict beside
the mapped file). Knows nothing of suggestions, files or the engine.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nahawi.lexicon import Lexicon, fold_confusable, fold_variants
from nahawi.text.chars import strip_diacritics
from nahawi.text.punct import is_punct_char
from nahawi.text.tokens import model_tokens


@dataclass(frozen=True)
class OverlayConfig:
    weight: int = 200  # corpus occurrences one occurrence in the writer's documents counts as, at least
    # (and at least as many as the word's most frequent spelling in the corpus)


def document_counts(texts: Iterable[str]) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Words (without diacritics, as the corpus counts them) and adjacent word pairs of texts, per line:
    marks are not words, and a pair never spans a mark or a line break."""
    words: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for text in texts:
        for line in text.splitlines():
            previous = None
            for token in model_tokens(line):
                if all(map(is_punct_char, token.text)):
                    previous = None
                    continue
                word = strip_diacritics(token.text)
                if not word or " " in word:
                    previous = None
                    continue
                words[word] = words.get(word, 0) + 1
                if previous is not None:
                    pairs[previous, word] = pairs.get((previous, word), 0) + 1
                previous = word
    return words, pairs


class OverlayTables:
    """`nahawi.lexicon_tables.LexiconTables` with the writer's counts added (see the module docstring)."""

    def __init__(self, base, words: Mapping[str, int], pairs: Mapping[tuple[str, str], int],
                 config: OverlayConfig = OverlayConfig()):
        self.base, self.config = base, config
        # A writer's word counts at least as its most frequent spelling: the unigram rule no longer respells
        # it, and the context (their pairs and the corpus's) decides between spellings.
        self.extra = {w: c * max(config.weight, max((n for _, n in base.spellings(fold_variants(w))), default=0))
                      for w, c in words.items()}
        self.extra_pairs = {p: c * config.weight for p, c in pairs.items()}
        self.total = base.total + sum(self.extra.values())
        self.bigrams = base.bigrams  # truthy when the base has bigrams: the context model stays on or off
        self.by_fold: dict[str, list[str]] = {}
        self.by_wide: dict[str, list[str]] = {}
        for word in self.extra:
            self.by_fold.setdefault(fold_variants(word), []).append(word)
            self.by_wide.setdefault(fold_confusable(word), []).append(word)

    def count(self, word: str) -> int:
        return self.base.count(word) + self.extra.get(word, 0)

    def knows(self, word: str) -> bool:
        return word in self.extra or self.base.knows(word)

    def spellings(self, key: str) -> list[tuple[str, int]]:
        found = [(w, self.count(w)) for w, _ in self.base.spellings(key)]
        seen = {w for w, _ in found}
        return found + [(w, self.count(w)) for w in self.by_fold.get(key, ()) if w not in seen]

    def usual(self, key: str) -> str | None:
        if key not in self.by_fold:
            return self.base.usual(key)
        return max(self.spellings(key), key=lambda wc: wc[1], default=(None, 0))[0]

    def repair(self, key: str) -> str | None:
        best = self.base.repair(key)
        candidates = ([best] if best is not None else []) + self.by_wide.get(key, [])
        return max(candidates, key=self.count, default=None)

    def bigram(self, first: str, second: str) -> int:
        return self.base.bigram(first, second) + self.extra_pairs.get((first, second), 0)

    def count_with_prefix(self, prefix: str) -> int:
        return self.base.count_with_prefix(prefix) + sum(c for w, c in self.extra.items()
                                                         if len(w) > len(prefix) and w.startswith(prefix))


def with_overlay(lexicon: Lexicon, words: Mapping[str, int], pairs: Mapping[tuple[str, str], int],
                 config: OverlayConfig = OverlayConfig()) -> Lexicon:
    """A Lexicon like `lexicon` (its config and gate) whose counts include the writer's; `lexicon` is
    unchanged. With no words, `lexicon` itself."""
    if not words and not pairs:
        return lexicon
    overlaid = copy.copy(lexicon)  # the same config, gate and count views; only the tables differ
    overlaid.tables = OverlayTables(lexicon.tables, words, pairs, config)
    overlaid.total = overlaid.tables.total
    return overlaid
