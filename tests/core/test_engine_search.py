"""Greedy and beam search on the tiny exported model's real ONNX Runtime sessions.

The tiny model is untrained: it never emits its real end-of-sentence id and repeats one favourite token.
The search works on ids only, so most tests mask that favourite (as "pad") and name the next favourite of
some rows "eos": those rows finish at once while the others run to their limits, which exercises both
endings and the shrinking batch.
"""
import numpy as np
import pytest

from nahawi.engine.search import SpecialIds, beam_search, greedy_search, length_limits
from nahawi.engine.sessions import open_model


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return open_model(tiny_model_dir, "cpu", threads=1)


def _batch(rows):
    src = np.zeros((len(rows), max(map(len, rows)) + 1), dtype=np.int64)
    for r, row in enumerate(rows):
        src[r, :len(row) + 1] = [*row, 3]
    return src


ROWS = [[10, 11, 12, 13, 14, 15, 16], [20, 21], [30, 31, 32, 33], [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]]


@pytest.fixture(scope="module")
def special(model):
    favourite = greedy_search(model, _batch(ROWS), np.full(len(ROWS), 1))[0].ids[0]
    masked = SpecialIds(pad=favourite)
    runner_up = greedy_search(model, _batch(ROWS), np.full(len(ROWS), 1), masked)[0].ids[0]
    return SpecialIds(pad=favourite, eos=runner_up)


def test_length_limits_follow_a_times_source_plus_b():
    assert length_limits(np.array([0, 10, 100]), 1.2, 10, 63).tolist() == [10, 22, 63]
    assert length_limits(np.array([5]), 0.0, 0, 63).tolist() == [1]


def test_greedy_batch_equals_rows_decoded_alone(model, special):
    limits = np.array([12, 5, 8, 12])
    together = greedy_search(model, _batch(ROWS), limits, special)
    assert any(h.complete for h in together) and len({len(h.ids) for h in together}) > 1
    for row, hyp, limit in zip(ROWS, together, limits):
        alone = greedy_search(model, _batch([row]), np.array([limit]), special)[0]
        assert alone.ids == hyp.ids and alone.complete == hyp.complete
        np.testing.assert_allclose(alone.log_probs, hyp.log_probs, atol=1e-4)


def test_limits_cap_the_output_and_mark_it_incomplete(model):
    limits = np.array([3, 1, 5, 2])
    hyps = greedy_search(model, _batch(ROWS), limits)  # the real eos: the untrained model never ends
    for hyp, limit in zip(hyps, limits):
        assert len(hyp.ids) <= limit and len(hyp.log_probs) == len(hyp.ids)
        assert all(token not in (0, 2) for token in hyp.ids)  # pad and bos are never generated
    assert not any(h.complete for h in hyps)


def test_beam_of_one_is_greedy(model, special):
    limits = np.full(len(ROWS), 10)
    greedy = greedy_search(model, _batch(ROWS), limits, special)
    beam = beam_search(model, _batch(ROWS), limits, 1, special)
    assert [h.ids for h in beam] == [h.ids for h in greedy]


def test_beam_batch_equals_rows_decoded_alone(model, special):
    limits = np.array([10, 4, 7, 10])
    together = beam_search(model, _batch(ROWS), limits, 4, special)
    for row, hyp, limit in zip(ROWS, together, limits):
        alone = beam_search(model, _batch([row]), np.array([limit]), 4, special)[0]
        assert alone.ids == hyp.ids
        assert alone.score == pytest.approx(hyp.score, abs=1e-4)
    assert [len(h.ids) <= limit for h, limit in zip(together, limits)] == [True] * len(ROWS)


def test_beam_finds_at_least_the_greedy_score(model, special):
    limits = np.full(len(ROWS), 10)
    greedy = greedy_search(model, _batch(ROWS), limits, special)
    beam = beam_search(model, _batch(ROWS), limits, 4, special, length_penalty=0.0)  # raw log-probs
    for g, b in zip(greedy, beam):
        if g.complete:
            assert b.complete
            assert sum(b.log_probs) + b.eos_log_prob >= sum(g.log_probs) + g.eos_log_prob - 1e-6
