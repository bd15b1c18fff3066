"""Spelling-variant lexicon: corpus word counts that pick the usual hamza / ta marbuta / alif maqsura
spelling of a word.

Words are grouped by a fold that erases exactly those distinctions; within a group the most frequent
spelling replaces the written one when it is `ratio` times more frequent. On QALB-2014 dev (no punctuation)
ratio 3 gives F0.5 75.9 but 8.8 false alarms per 1,000 words of correct text (إن → أن); ratio 8 gives 76.5 and
3.4. Context-aware bigram scoring was measured too and did not beat the unigram rule (docs/RESULTS.md). Works on benchmark-tokenised words
and knows nothing of models or user spacing.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import ModelError

FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه"})


def fold_variants(word: str) -> str:
    """The key shared by all hamza / ta marbuta / alif maqsura spellings of a word (comparison only)."""
    return word.translate(FOLD)


@dataclass(frozen=True)
class LexiconConfig:
    ratio: float = 8.0  # the usual spelling must be this many times more frequent than the written one (dev-tuned)
    min_count: int = 3  # never suggest a spelling seen fewer times in the corpus


class Lexicon:
    def __init__(self, counts: dict[str, int], config: LexiconConfig = LexiconConfig()):
        self.counts, self.config = counts, config
        self.best: dict[str, str] = {}  # fold key -> most frequent spelling
        for word, count in counts.items():
            key = fold_variants(word)
            if count > counts.get(self.best.get(key, ""), 0):
                self.best[key] = word

    def knows(self, word: str) -> bool:
        return word in self.counts

    def suggest(self, word: str) -> str | None:
        """The usual spelling that should replace `word`, or None to keep it."""
        best = self.best.get(fold_variants(word))
        if best is None or best == word:
            return None
        count = self.counts[best]
        if count < self.config.min_count or count < self.config.ratio * self.counts.get(word, 0):
            return None
        return best

    def correct_words(self, words: list[str]) -> list[str]:
        return [self.suggest(word) or word for word in words]


def save_lexicon(path: str | Path, counts: dict[str, int]) -> None:
    """gzip TSV `word<TAB>count`, sorted, no timestamp: the same counts give the same bytes."""
    lines = "".join(f"{w}\t{c}\n" for w, c in sorted(counts.items()))
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        raw.write(lines.encode("utf-8"))


def load_lexicon(path: str | Path, config: LexiconConfig = LexiconConfig()) -> Lexicon:
    counts: dict[str, int] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                word, _, count = line.rstrip("\n").partition("\t")
                if not word or not count.isdigit():
                    raise ModelError(f"{path}: malformed lexicon line {number}")
                counts[word] = int(count)
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: unreadable lexicon ({error})") from error
    return Lexicon(counts, config)
