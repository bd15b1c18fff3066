"""MaxMatch (M2) scores, count for count those of the QALB shared-task copy of the official m2scorer.

Dahlmeier & Ng (2012), https://aclanthology.org/N12-1067, with the defaults of the published Arabic
numbers: beta 0.5, at most 2 unchanged words inside one edit, whitespace and case significant. Per
sentence the system's edits are read off the edit lattice (`nahawi.m2.lattice`, `nahawi.m2.search`),
compared with each annotator's gold edits, and the annotator that maximises the running F-beta is kept
(ties: more correct edits, then fewer proposed + beta^2 gold). Precision is 1.0 when nothing is
proposed, recall 1.0 when there is no gold edit. This module owns that bookkeeping and the result
types; it reads no files and knows nothing about punctuation or edit kinds.
"""
from __future__ import annotations

from dataclasses import dataclass

from nahawi.errors import InputError
from nahawi.m2.lattice import BaseLattice, ClosedLattice, LatticeTooLarge
from nahawi.m2.reader import GoldEdit, M2Sentence
from nahawi.m2.reduced import reduced_sequence
from nahawi.m2.search import Edit, default_weights, edit_sequence, gold_weights


@dataclass(frozen=True)
class SystemEdit:
    start: int  # token offsets into the source sentence
    end: int
    original: str
    correction: str
    matched: bool  # equal to a gold edit of the chosen annotator


@dataclass(frozen=True)
class SentenceScore:
    annotator: int  # the annotator chosen for this sentence
    correct: int
    proposed: int
    gold: int
    system_edits: tuple[SystemEdit, ...]
    gold_edits: tuple[GoldEdit, ...]
    gold_matched: tuple[bool, ...]  # one flag per gold edit
    exact: bool = True  # False: the lattice was too large and the reduced search was used


@dataclass(frozen=True)
class Score:
    correct: int
    proposed: int
    gold: int
    precision: float
    recall: float
    f_beta: float
    beta: float
    sentences: tuple[SentenceScore, ...]

    @property
    def inexact_lines(self) -> tuple[int, ...]:
        """1-based numbers of the sentences scored with the reduced search."""
        return tuple(i + 1 for i, s in enumerate(self.sentences) if not s.exact)


def match_edits(seq: list[Edit], gold: tuple[GoldEdit, ...]) -> tuple[int, list[bool], list[bool]]:
    """The official matchSeq: each system edit (in source order) is compared with the gold edits after
    the last match; the loop does not stop at a match, so an edit can match identical gold edits twice.
    Returns (correct count, flag per system edit, flag per gold edit)."""
    count, last = 0, 0
    sys_hit, gold_hit = [False] * len(seq), [False] * len(gold)
    for n, (start, end, original, correction) in enumerate(seq):
        for i in range(last, len(gold)):
            g = gold[i]
            if start == g.start and end == g.end and original == g.original and correction in g.corrections:
                count += 1
                last = i + 1
                sys_hit[n] = gold_hit[i] = True
    return count, sys_hit, gold_hit


def _sequences(sentence: M2Sentence, hypothesis: str, max_unchanged: int):
    """(exact, {annotator: edit sequence}) for one hypothesis."""
    src, hyp = list(sentence.tokens), hypothesis.split()
    golds = sentence.gold_sets()
    if src == hyp:  # only no-op arcs: no edit whatever the gold
        return True, {a: [] for a in golds}
    base = BaseLattice(src, hyp)
    try:
        lattice = ClosedLattice(base, max_unchanged)
    except LatticeTooLarge:
        return False, {a: reduced_sequence(base, g, src, hyp, max_unchanged) for a, g in golds.items()}
    default = default_weights(lattice)
    return True, {a: edit_sequence(lattice, gold_weights(lattice, default, g, src, hyp), src, hyp)
                  for a, g in golds.items()}


def _f(correct: float, proposed: float, gold: float, beta: float) -> float:
    try:
        return (1 + beta * beta) * correct / (beta * beta * gold + proposed)
    except ZeroDivisionError:
        return 1.0 if correct == 0.0 else 0.0


def score_sentence(sentence: M2Sentence, hypothesis: str, totals: tuple[float, float, float] = (0, 0, 0),
                   beta: float = 0.5, max_unchanged_words: int = 2) -> SentenceScore:
    """Score one hypothesis. `totals` are the running (correct, proposed, gold) of the sentences before
    it: the annotator is chosen to maximise the running F-beta, as officially."""
    exact, sequences = _sequences(sentence, hypothesis, max_unchanged_words)
    sq = beta * beta
    best, best_f, best_c, best_cost = None, -1.0, -1.0, float("inf")
    for annotator, gold in sentence.gold_sets().items():
        seq = sequences[annotator]
        correct, sys_hit, gold_hit = match_edits(seq, gold)
        c, p, g = totals[0] + correct, totals[1] + len(seq), totals[2] + len(gold)
        f = _f(c, p, g, beta)
        if best_f < f or (best_f == f and best_c < c) or (best_f == f and best_c == c and best_cost > p + sq * g):
            best_f, best_c, best_cost = f, c, p + sq * g
            edits = tuple(SystemEdit(*e, hit) for e, hit in zip(seq, sys_hit))
            best = SentenceScore(annotator, correct, len(seq), len(gold), edits, gold, tuple(gold_hit), exact)
    return best


def score_corpus(sentences: list[M2Sentence], hypotheses: list[str], beta: float = 0.5,
                 max_unchanged_words: int = 2) -> Score:
    """MaxMatch precision, recall and F-beta of hypotheses (one per gold sentence, in order; tokens are
    split on whitespace, an empty line is a valid hypothesis) against gold M2 sentences."""
    if len(hypotheses) != len(sentences):
        raise InputError(f"the hypothesis has {len(hypotheses)} lines but the gold M2 has "
                         f"{len(sentences)} sentences")
    c = p = g = 0.0
    scored = []
    for sentence, hypothesis in zip(sentences, hypotheses):
        result = score_sentence(sentence, hypothesis, (c, p, g), beta, max_unchanged_words)
        c, p, g = c + result.correct, p + result.proposed, g + result.gold
        scored.append(result)
    precision = c / p if p else 1.0
    recall = c / g if g else 1.0
    try:
        f = (1.0 + beta * beta) * precision * recall / (beta * beta * precision + recall)
    except ZeroDivisionError:
        f = 0.0
    return Score(int(c), int(p), int(g), precision, recall, f, beta, tuple(scored))
