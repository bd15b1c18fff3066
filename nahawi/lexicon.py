"""Spelling-variant lexicon: corpus word and bigram counts that pick the right hamza / ta marbuta /
alif maqsura spelling of a word in context.

Words are grouped by a fold that erases exactly those distinctions; within a group the variant with the
best smoothed bigram score in its context (previous and next word) wins when it beats the written word by a
margin. It works on benchmark-tokenised words and knows nothing of models or user spacing.
"""
from __future__ import annotations

import gzip
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import ModelError

FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه"})


def fold_variants(word: str) -> str:
    """The key shared by all hamza / ta marbuta / alif maqsura spellings of a word (comparison only)."""
    return word.translate(FOLD)


@dataclass(frozen=True)
class LexiconConfig:
    ratio: float = 3.0  # a variant must score this many times better than the written word
    smoothing: float = 2.0  # Dirichlet prior weight of the unigram distribution in bigram estimates
    min_count: int = 3  # ignore candidate variants seen fewer times in the corpus


class Lexicon:
    def __init__(self, unigrams: dict[str, int], bigrams: dict[tuple[str, str], int],
                 config: LexiconConfig = LexiconConfig()):
        self.unigrams, self.bigrams, self.config = unigrams, bigrams, config
        self.total = max(1, sum(unigrams.values()))
        self.groups: dict[str, list[str]] = defaultdict(list)
        for word in unigrams:
            self.groups[fold_variants(word)].append(word)

    def knows(self, word: str) -> bool:
        return word in self.unigrams

    def _log_prob(self, prev: str | None, word: str) -> float:
        """log P(word | prev) with a Dirichlet-smoothed unigram backoff."""
        p_word = (self.unigrams.get(word, 0) + 0.5) / self.total
        if prev is None:
            return math.log(p_word)
        mu = self.config.smoothing
        pair = self.bigrams.get((prev, word), 0)
        return math.log((pair + mu * p_word) / (self.unigrams.get(prev, 0) + mu))

    def score(self, prev: str | None, word: str, nxt: str | None) -> float:
        total = self._log_prob(prev, word)
        if nxt is not None:
            total += self._log_prob(word, nxt) - self._log_prob(None, nxt)
        return total

    def best_variant(self, words: list[str], index: int) -> str | None:
        """The variant that should replace words[index], or None to keep it."""
        word = words[index]
        candidates = [w for w in self.groups.get(fold_variants(word), ())
                      if w != word and self.unigrams[w] >= self.config.min_count]
        if not candidates:
            return None
        prev = words[index - 1] if index > 0 else None
        nxt = words[index + 1] if index + 1 < len(words) else None
        written = self.score(prev, word, nxt)
        best = max(candidates, key=lambda w: self.score(prev, w, nxt))
        return best if self.score(prev, best, nxt) - written > math.log(self.config.ratio) else None

    def correct_words(self, words: list[str]) -> list[str]:
        return [self.best_variant(words, i) or word for i, word in enumerate(words)]


def save_lexicon(path: str | Path, unigrams: dict[str, int], bigrams: dict[tuple[str, str], int]) -> None:
    """gzip TSV: `1<TAB>word<TAB>count` and `2<TAB>prev<TAB>word<TAB>count` lines, sorted for stable bytes."""
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        lines = [f"1\t{w}\t{c}" for w, c in sorted(unigrams.items())]
        lines += [f"2\t{a}\t{b}\t{c}" for (a, b), c in sorted(bigrams.items())]
        raw.write(("\n".join(lines) + "\n").encode("utf-8"))


def load_lexicon(path: str | Path, config: LexiconConfig = LexiconConfig()) -> Lexicon:
    unigrams: dict[str, int] = {}
    bigrams: dict[tuple[str, str], int] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                fields = line.rstrip("\n").split("\t")
                if fields[0] == "1" and len(fields) == 3:
                    unigrams[fields[1]] = int(fields[2])
                elif fields[0] == "2" and len(fields) == 4:
                    bigrams[(fields[1], fields[2])] = int(fields[3])
                else:
                    raise ModelError(f"{path}: malformed lexicon line {number}")
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: unreadable lexicon ({error})") from error
    return Lexicon(unigrams, bigrams, config)
