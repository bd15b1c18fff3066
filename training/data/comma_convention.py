"""The annotators' comma before و, measured on their corrected text and put into clean corpus text.

QALB's annotators put a comma before nearly half the words that start with و (46% on QALB-2014 dev's
corrected side, 45% on QALB-2015 train's); the clean corpus writes one before about 2% of them. Restoration
pairs made from the corpus therefore teach a tagger the corpus' convention. `CommaRates` measures how often a
comma precedes each و-word in the real pairs' targets (backing off to the word's first three letters, then to
all و-words) and `with_commas` draws commas before the و-words of a clean target at those rates.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

COMMA = "،"
MARKS = frozenset("،,.؟?!:؛;")


def is_waw_word(token: str) -> bool:
    """A word of four or more letters starting with و (short ones are mostly the word و itself or و + a
    two-letter word, where the annotators rarely put a comma)."""
    return len(token) >= 4 and token.startswith("و") and not (MARKS & set(token))


def _prefix(token: str) -> str:
    return token[:3]


@dataclass
class CommaRates:
    """Counts of و-words (by word and by prefix) and of those preceded by a comma; `smoothing` pseudo-counts
    pull a word's rate toward its prefix's and a prefix's toward the overall rate."""
    smoothing: float = 5.0
    words: Counter = field(default_factory=Counter)
    word_commas: Counter = field(default_factory=Counter)
    prefixes: Counter = field(default_factory=Counter)
    prefix_commas: Counter = field(default_factory=Counter)

    @classmethod
    def measure(cls, targets: Iterable[str], smoothing: float = 5.0) -> CommaRates:
        """Over punctuation-tokenised corrected texts: every و-word after a word or a comma (a sentence's
        first word and a word after another mark do not count)."""
        rates = cls(smoothing)
        for text in targets:
            tokens = text.split()
            for k in range(1, len(tokens)):
                token = tokens[k]
                if not is_waw_word(token):
                    continue
                comma = tokens[k - 1] in (COMMA, ",")
                if (comma and k < 2) or (not comma and tokens[k - 1] in MARKS):
                    continue
                rates.words[token] += 1
                rates.prefixes[_prefix(token)] += 1
                if comma:
                    rates.word_commas[token] += 1
                    rates.prefix_commas[_prefix(token)] += 1
        return rates

    @property
    def overall(self) -> float:
        total = sum(self.words.values())
        return sum(self.word_commas.values()) / total if total else 0.0

    def rate(self, token: str) -> float:
        """The smoothed share of the word's occurrences that a comma precedes."""
        prefix, k = _prefix(token), self.smoothing
        prefix_rate = (self.prefix_commas[prefix] + k * self.overall) / (self.prefixes[prefix] + k)
        return (self.word_commas[token] + k * prefix_rate) / (self.words[token] + k)

    def with_commas(self, tokens: list[str], rng: random.Random) -> list[str]:
        """The tokens of a clean punctuation-tokenised target with a comma drawn before each و-word that
        follows a word (not a mark, not the start), at the word's rate. Words are never changed."""
        out: list[str] = []
        for k, token in enumerate(tokens):
            if k and is_waw_word(token) and out[-1] not in MARKS and rng.random() < self.rate(token):
                out.append(COMMA)
            out.append(token)
        return out


__all__ = ["COMMA", "CommaRates", "is_waw_word"]
