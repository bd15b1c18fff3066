"""The safety net between the model and the user: reject a correction that drifts from its source.

Owns the drift measures on benchmark tokens (word-level edit ratio, length change, repeated n-gram loops)
and the verdict that makes the engine keep a segment's source unchanged. A small GEC model that
hallucinates rewrites or loops is worse than no correction, so a rejected segment simply gets no edits.
Knows nothing of models, ids or character offsets.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nahawi.edits.align import common_ends


@dataclass(frozen=True)
class GuardConfig:
    max_edit_ratio: float = 0.5  # most token edits (Levenshtein) per source token
    min_edits_to_reject: int = 3  # never reject for fewer token edits than this (short sentences)
    max_length_change: float = 0.35  # most relative change in token count
    min_length_change: int = 4  # never reject for a token-count change smaller than this
    max_repeats: int = 3  # an n-gram repeated back to back this many times (more than in the source)
    max_ngram: int = 4  # longest n-gram checked for repetition loops


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""  # why the hypothesis was rejected, for logs and --no-guard hints


def token_edit_distance(src: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two token sequences (common prefix and suffix skipped first)."""
    head, tail = common_ends(src, hyp)
    a, b = src[head:len(src) - tail], hyp[head:len(hyp) - tail]
    previous = list(range(len(b) + 1))
    for i, token in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j - 1] + (token != other), previous[j] + 1, current[j - 1] + 1))
        previous = current
    return previous[-1]


def longest_repeat(tokens: Sequence[str], n: int) -> dict[tuple[str, ...], int]:
    """For each n-gram, the most times it occurs back to back (`x y x y x y` → {(x, y): 3, ...})."""
    runs: dict[tuple[str, ...], int] = {}
    for start in range(len(tokens) - n + 1):
        gram = tuple(tokens[start:start + n])
        count, k = 1, start + n
        while tuple(tokens[k:k + n]) == gram:
            count, k = count + 1, k + n
        runs[gram] = max(runs.get(gram, 0), count)
    return runs


def repetition_loop(src: Sequence[str], hyp: Sequence[str], config: GuardConfig) -> str:
    """The first n-gram the hypothesis repeats back to back at least max_repeats times and more often
    than the source does, joined by spaces; "" when there is none."""
    for n in range(1, config.max_ngram + 1):
        source_runs = longest_repeat(src, n)
        for gram, count in longest_repeat(hyp, n).items():
            if count >= config.max_repeats and count > source_runs.get(gram, 0):
                return " ".join(gram)
    return ""


def check(src: Sequence[str], hyp: Sequence[str], config: GuardConfig = GuardConfig()) -> Verdict:
    """Accept or reject hypothesis tokens hyp as a correction of source tokens src."""
    distance = token_edit_distance(src, hyp)
    if distance >= config.min_edits_to_reject and distance > config.max_edit_ratio * max(1, len(src)):
        return Verdict(False, f"edits {distance} of {len(src)} tokens")
    change = abs(len(hyp) - len(src))
    if change >= config.min_length_change and change > config.max_length_change * max(1, len(src)):
        return Verdict(False, f"length changed from {len(src)} to {len(hyp)} tokens")
    loop = repetition_loop(src, hyp, config)
    if loop:
        return Verdict(False, f"repeats {loop!r}")
    return Verdict(True)
