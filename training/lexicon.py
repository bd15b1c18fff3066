"""Build the spelling-variant lexicon (nahawi.lexicon) from clean text: word counts and the bigram counts
around words that have hamza / ta marbuta / alif maqsura variants. No torch needed.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from nahawi.lexicon import fold_variants
from nahawi.text.punct import tokenize_punct


def count_words(lines: Iterable[str]) -> tuple[Counter, list[list[str]]]:
    counts, tokenised = Counter(), []
    for line in lines:
        words = tokenize_punct(line).split()
        counts.update(words)
        tokenised.append(words)
    return counts, tokenised


def variant_words(counts: Counter) -> set[str]:
    """Words whose fold group has more than one spelling in the corpus."""
    groups: dict[str, list[str]] = {}
    for word in counts:
        groups.setdefault(fold_variants(word), []).append(word)
    return {w for group in groups.values() if len(group) > 1 for w in group}


def build_lexicon(lines: Iterable[str], min_unigram: int = 2, min_bigram: int = 2):
    counts, tokenised = count_words(lines)
    targets = variant_words(counts)
    bigrams: Counter = Counter()
    for words in tokenised:
        for a, b in zip(words, words[1:]):
            if a in targets or b in targets:
                bigrams[(a, b)] += 1
    unigrams = {w: c for w, c in counts.items() if c >= min_unigram}
    return unigrams, {k: c for k, c in bigrams.items() if c >= min_bigram}
