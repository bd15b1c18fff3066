"""Greedy, aggressive and beam search over token ids with a key/value cache.

Owns the decoding loops: one encoder call per batch, then one decoder step per generated token, with the
batch shrinking as rows finish; or, for aggressive decoding, the source copied as a draft and verified in one
decoder call (see `aggressive_search`). Works on ids only through the `StepModel` protocol (ONNX Runtime in
production, anything with the same two methods in tests); knows nothing of text, tokenisers or edits.
Length limits follow fairseq (`max_len_a · src_len + max_len_b`, https://github.com/facebookresearch/fairseq).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class StepModel(Protocol):
    def encode(self, src_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """src_ids (B, S) -> cross_k, cross_v (L, B, H, S, dh)."""

    def step(self, input_ids: np.ndarray, step: int, src_ids: np.ndarray, cross_k: np.ndarray,
             cross_v: np.ndarray, past_k: np.ndarray, past_v: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """input_ids (B, 1) at position step -> log_probs (B, V), present_k/v (L, B, H, step + 1, dh)."""


class ParallelStepModel(StepModel, Protocol):
    def verify(self, input_ids: np.ndarray, step: int, src_ids: np.ndarray, cross_k: np.ndarray,
               cross_v: np.ndarray, past_k: np.ndarray, past_v: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """input_ids (B, N) at positions step .. step + N - 1 -> log_probs (B, N, V) after each of them,
        present_k/v (L, B, H, step + N, dh)."""


@dataclass(frozen=True)
class SpecialIds:
    pad: int = 0
    bos: int = 2
    eos: int = 3


@dataclass(frozen=True)
class Hypothesis:
    ids: tuple[int, ...]  # generated ids, without bos and eos
    log_probs: tuple[float, ...]  # log-probability of each generated id
    eos_log_prob: float | None  # None when the length limit stopped the search before eos
    score: float  # sum of log-probabilities (eos included), divided by length ** length_penalty

    @property
    def complete(self) -> bool:
        return self.eos_log_prob is not None


def length_limits(src_lengths: np.ndarray, max_len_a: float, max_len_b: int, cap: int) -> np.ndarray:
    """Most ids generated per row (eos excluded): a · src_len + b, at most cap, at least 1."""
    limits = np.floor(np.asarray(src_lengths, dtype=np.float64) * max_len_a).astype(np.int64) + max_len_b
    return np.clip(limits, 1, max(1, cap))


def _never(log_probs: np.ndarray, special: SpecialIds) -> np.ndarray:
    """log_probs (B, V) with pad and bos made impossible: they are inputs, never outputs."""
    log_probs = log_probs.astype(np.float64, copy=True)
    log_probs[:, [special.pad, special.bos]] = -np.inf
    return log_probs


def _best(log_probs: np.ndarray, special: SpecialIds) -> tuple[np.ndarray, np.ndarray]:
    """Argmax over the last axis of log_probs (..., V) with pad and bos never chosen, and its log-prob —
    what _never then argmax give, without copying the whole (..., V) array unless a row's argmax is one
    of them (rare: they are inputs, never outputs)."""
    flat = log_probs.reshape(-1, log_probs.shape[-1])  # (rows, V): a view
    best = flat.argmax(-1)
    if ((best == special.pad) | (best == special.bos)).any():  # not np.isin: its overhead is a step's cost
        best = _never(flat, special).argmax(-1)
    chosen = flat[np.arange(len(best)), best].astype(np.float64)
    return best.reshape(log_probs.shape[:-1]), chosen.reshape(log_probs.shape[:-1])


def _empty_past(cross_k: np.ndarray) -> np.ndarray:
    layers, batch, heads, _, head_dim = cross_k.shape
    return np.zeros((layers, batch, heads, 0, head_dim), dtype=cross_k.dtype)


def _finish(ids: list[int], lps: list[float], eos_lp: float | None, length_penalty: float) -> Hypothesis:
    total = sum(lps) + (eos_lp or 0.0)
    length = len(ids) + (eos_lp is not None)
    return Hypothesis(tuple(ids), tuple(lps), eos_lp, total / max(1, length) ** length_penalty)


def greedy_search(model: StepModel, src_ids: np.ndarray, limits: np.ndarray,
                  special: SpecialIds = SpecialIds()) -> list[Hypothesis]:
    """Argmax decoding of a padded batch src_ids (B, S); one Hypothesis per row, in row order."""
    cross_k, cross_v = model.encode(src_ids)
    past_k, past_v = _empty_past(cross_k), _empty_past(cross_k)
    rows = np.arange(src_ids.shape[0])  # original row of each live row
    tokens = np.full((len(rows), 1), special.bos, dtype=np.int64)
    ids: list[list[int]] = [[] for _ in rows]
    lps: list[list[float]] = [[] for _ in rows]
    results: list[Hypothesis | None] = [None] * len(rows)
    for step in range(int(limits.max()) + 1):
        log_probs, past_k, past_v = model.step(tokens, step, src_ids, cross_k, cross_v, past_k, past_v)
        best, best_lp = _best(log_probs, special)
        keep = np.ones(len(rows), dtype=bool)
        for r, (row, token, lp) in enumerate(zip(rows, best.tolist(), best_lp.tolist())):
            if token == special.eos or len(ids[row]) >= limits[row]:
                results[row] = _finish(ids[row], lps[row], lp if token == special.eos else None, 1.0)
                keep[r] = False
            else:
                ids[row].append(token)
                lps[row].append(lp)
        if not keep.any():
            break
        if not keep.all():
            rows, src_ids, best = rows[keep], src_ids[keep], best[keep]
            cross_k, cross_v = cross_k[:, keep], cross_v[:, keep]
            past_k, past_v = past_k[:, keep], past_v[:, keep]
        tokens = best.astype(np.int64)[:, None]
    return [r if r is not None else _finish(ids[i], lps[i], None, 1.0) for i, r in enumerate(results)]


@dataclass
class _Beams:
    """Live state of beam search: K rows per live sentence, sentence-major."""

    sentences: list[int]  # original row of each live sentence
    scores: np.ndarray  # (n, K) summed log-probs, -inf for padding beams
    history: np.ndarray  # (n * K, t) generated ids
    history_lp: np.ndarray  # (n * K, t) their log-probs


def beam_search(model: StepModel, src_ids: np.ndarray, limits: np.ndarray, beam: int,
                special: SpecialIds = SpecialIds(), length_penalty: float = 1.0) -> list[Hypothesis]:
    """Beam search (fairseq-style: a sentence is done once it has `beam` finished hypotheses); the best
    length-normalised hypothesis per row, in row order."""
    batch = src_ids.shape[0]
    expand = np.repeat(np.arange(batch), beam)
    cross_k, cross_v = model.encode(src_ids)
    src_ids, cross_k, cross_v = src_ids[expand], cross_k[:, expand], cross_v[:, expand]
    past_k, past_v = _empty_past(cross_k), _empty_past(cross_k)
    scores = np.full((batch, beam), -np.inf, dtype=np.float64)
    scores[:, 0] = 0.0  # all beams start identical: only the first one is live
    state = _Beams(list(range(batch)), scores, np.zeros((batch * beam, 0), np.int64),
                   np.zeros((batch * beam, 0), np.float64))
    finished: list[list[Hypothesis]] = [[] for _ in range(batch)]
    tokens = np.full((batch * beam, 1), special.bos, dtype=np.int64)
    for step in range(int(limits.max()) + 1):
        log_probs, past_k, past_v = model.step(tokens, step, src_ids, cross_k, cross_v, past_k, past_v)
        log_probs = _never(log_probs, special)
        select, tokens, state = _advance(state, log_probs, step, limits, beam, special, finished,
                                         length_penalty)
        if not state.sentences:
            break
        src_ids, cross_k, cross_v = src_ids[select], cross_k[:, select], cross_v[:, select]
        past_k, past_v = past_k[:, select], past_v[:, select]
    return [max(done, key=lambda h: (h.complete, h.score)) for done in finished]


def _advance(state: _Beams, log_probs: np.ndarray, step: int, limits: np.ndarray, beam: int,
             special: SpecialIds, finished: list[list[Hypothesis]], length_penalty: float):
    """One beam step: extend every live sentence by its best candidates, move eos endings to finished,
    drop done sentences. Returns (rows to keep, next input ids (n' * K, 1), new state)."""
    vocab = log_probs.shape[1]
    n = len(state.sentences)
    candidates = (state.scores.reshape(n * beam, 1) + log_probs).reshape(n, beam * vocab)
    width = min(2 * beam, beam * vocab)
    top = np.argpartition(-candidates, width - 1, axis=1)[:, :width]
    select, next_tokens, next_scores, live = [], [], [], []
    for s, sentence in enumerate(state.sentences):
        order = top[s][np.argsort(-candidates[s, top[s]], kind="stable")]
        alive = _extend(state, s, sentence, order, candidates[s], log_probs, step, limits[sentence],
                        beam, vocab, special, finished[sentence], length_penalty)
        if len(finished[sentence]) >= beam or not alive:
            continue
        alive += [(alive[0][0], alive[0][1], -np.inf)] * (beam - len(alive))
        live.append(sentence)
        select += [row for row, _, _ in alive]
        next_tokens += [token for _, token, _ in alive]
        next_scores.append([score for _, _, score in alive])
    select_arr = np.asarray(select, dtype=np.int64)
    token_arr = np.asarray(next_tokens, dtype=np.int64)
    token_lp = log_probs[select_arr, token_arr] if select else np.zeros(0)
    history = np.concatenate([state.history[select_arr], token_arr[:, None]], axis=1)
    history_lp = np.concatenate([state.history_lp[select_arr], token_lp[:, None]], axis=1)
    scores = np.asarray(next_scores, dtype=np.float64).reshape(len(live), beam)
    return select_arr, token_arr[:, None], _Beams(live, scores, history, history_lp)


def _extend(state: _Beams, s: int, sentence: int, order: np.ndarray, candidates: np.ndarray,
            log_probs: np.ndarray, step: int, limit: int, beam: int, vocab: int, special: SpecialIds,
            done: list[Hypothesis], length_penalty: float) -> list[tuple[int, int, float]]:
    """Candidates of one sentence, best first: eos endings go to done, the rest (up to beam) stay alive
    as (row, token, score). At the length limit the best live beam is kept as an incomplete hypothesis
    when nothing has finished."""
    alive: list[tuple[int, int, float]] = []
    for flat in order.tolist():
        score = float(candidates[flat])
        if score == -np.inf:
            break
        row, token = s * beam + flat // vocab, flat % vocab
        ids, lps = state.history[row].tolist(), state.history_lp[row].tolist()
        if token == special.eos:
            if len(done) < beam:
                done.append(_finish(ids, lps, float(log_probs[row, token]), length_penalty))
        elif step >= limit:
            if not done:
                done.append(_finish(ids, lps, None, length_penalty))
        else:
            alive.append((row, token, score))
        if len(alive) == beam:
            break
    return [] if step >= limit else alive


REALIGN_BEHIND, REALIGN_AHEAD = 1, 3  # source positions searched for the last emitted token, around the cursor
MIN_DRAFT = 4  # shortest draft after a rejected one (a model that rewrites much wastes at most this per call)


def aggressive_search(model: ParallelStepModel, src_ids: np.ndarray, limits: np.ndarray,
                      special: SpecialIds = SpecialIds()) -> list[Hypothesis]:
    """Shallow aggressive decoding (Sun et al. 2021, https://arxiv.org/abs/2106.04970): the source is the draft
    of the output; one decoder call verifies the whole draft and keeps the longest prefix on which greedy
    agrees, plus greedy's own next token at the first disagreement; decoding then goes on from there with
    the rest of the source (re-aligned on that token) as the next draft. Every kept token is the argmax after
    the tokens before it, so the ids are greedy_search's exactly (up to float rounding: a draft's positions
    computed in one call can round an int8 activation otherwise than step by step; with static int8 no
    next-token choice changed in 2,777 QALB dev positions). After a rejection the next draft is at most
    twice the accepted part (at least MIN_DRAFT), doubling while accepted, so a model that rewrites much
    pays little for drafts it rejects. Rows decode one at a time (a draft accepted to different lengths
    leaves caches of different lengths; a batch of many rows decodes faster with greedy_search); one
    Hypothesis per row, in row order."""
    cross_k, cross_v = model.encode(src_ids)
    results = []
    for row in range(src_ids.shape[0]):
        width = int(np.flatnonzero(src_ids[row] != special.pad).max(initial=-1)) + 1
        src = src_ids[row:row + 1, :max(1, width)]
        cross = (cross_k[:, row:row + 1, :, :src.shape[1]], cross_v[:, row:row + 1, :, :src.shape[1]])
        results.append(_aggressive_row(model, src, cross, int(limits[row]), special))
    return results


def _aggressive_row(model: ParallelStepModel, src: np.ndarray, cross: tuple[np.ndarray, np.ndarray],
                    limit: int, special: SpecialIds) -> Hypothesis:
    """Decode one source row src (1, S) by draft and verify; see aggressive_search."""
    source = [int(t) for t in src[0] if t not in (special.pad, special.bos)]  # pieces + eos
    past_k = past_v = _empty_past(cross[0])
    ids: list[int] = []
    lps: list[float] = []
    pending, position, cursor = special.bos, 0, 0  # pending: the last kept token, not yet in the cache
    span = len(source)  # draft length: the whole source first; after a rejection twice what was accepted
    while True:
        # Positions fed run to at most `limit`, as in greedy_search (the limit's own step forces the end).
        draft = source[cursor:cursor + min(span, limit - position)]
        inputs = np.array([[pending, *draft]], dtype=np.int64)
        log_probs, past_k, past_v = model.verify(inputs, position, src, *cross, past_k, past_v)
        best, best_lp = _best(log_probs[0], special)  # (N,) each
        for i, (token, lp) in enumerate(zip(best.tolist(), best_lp.tolist())):
            if token == special.eos or len(ids) >= limit:
                return _finish(ids, lps, lp if token == special.eos else None, 1.0)
            ids.append(token)
            lps.append(lp)
            if i == len(draft) or draft[i] != token:
                break
        kept = i + 1  # pending and the i draft tokens greedy agreed with: their cache entries are valid
        past_k, past_v = past_k[:, :, :, :position + kept], past_v[:, :, :, :position + kept]
        pending, position = token, position + kept
        span = 2 * span if i == len(draft) else max(MIN_DRAFT, 2 * i)
        cursor = realign(source, cursor + i, token)


def realign(source: list[int], cursor: int, token: int) -> int:
    """Where the draft goes on after greedy emitted `token` in place of source[cursor]: after the nearest
    occurrence of the token around the cursor (a source piece deleted, or an insertion undone), else after
    source[cursor] (a substitution). Only speed depends on this guess, never the output."""
    for offset in (0, *range(1, REALIGN_AHEAD + 1), *range(-1, -REALIGN_BEHIND - 1, -1)):
        k = cursor + offset
        if 0 <= k < len(source) and source[k] == token:
            return k + 1
    return cursor + 1
