"""Aggressive decoding (the source as a draft, verified in one decoder call) on the trained tiny model's real
ONNX sessions: the same ids as greedy search on real Arabic lines, corrected and copied, under tight length
limits and in batches; fewer decoder calls than tokens; the same corrections through the Corrector; a model
directory whose decoder takes one token per call (exported before it) refuses the option clearly."""
import numpy as np
import pytest

from export.fixtures import SENTENCES, TRAINED_CORRECTIONS, TRAINED_KEPT
from nahawi.engine import Corrector, CorrectorOptions
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.engine.mapping import model_input
from nahawi.engine.search import aggressive_search, greedy_search, length_limits, realign
from nahawi.engine.sessions import open_model
from nahawi.errors import InputError, ModelError

LINES = [*(source for source, _ in TRAINED_CORRECTIONS), *TRAINED_KEPT, *SENTENCES[:4],
         "قال المدير ان الطلاب ذهبو الى المدرسه امس ولم يرجعو حتي المساء"]


class CountingModel:
    """The real sessions, with the decoder calls counted."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def encode(self, src_ids):
        return self.model.encode(src_ids)

    def step(self, *args):
        self.calls += 1
        return self.model.step(*args)

    def verify(self, *args):
        self.calls += 1
        return self.model.verify(*args)


@pytest.fixture(scope="module")
def engine(trained_model_dir):
    return Corrector.from_dir(trained_model_dir, device="cpu",
                              options=CorrectorOptions(threads=1, cache_size=0, policy=False))


@pytest.fixture(scope="module")
def rows(engine):
    return [engine.source_ids(engine.codec.encode(model_input(line).line)) for line in LINES]


def _batch(rows, pad=0):
    src = np.full((len(rows), max(map(len, rows))), pad, dtype=np.int64)
    for r, row in enumerate(rows):
        src[r, :len(row)] = row
    return src


def _same(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        assert a.ids == b.ids and a.complete == b.complete
        np.testing.assert_allclose(a.log_probs, b.log_probs, atol=1e-4)


def test_aggressive_equals_greedy_on_real_lines_alone_and_batched(engine, rows):
    model = engine.model.load()
    assert model.parallel
    limits = length_limits(np.array([len(r) for r in rows]), 1.2, 10, 255)
    alone_greedy = [greedy_search(model, _batch([row]), limits[k:k + 1])[0] for k, row in enumerate(rows)]
    alone_aggressive = [aggressive_search(model, _batch([row]), limits[k:k + 1])[0] for k, row in enumerate(rows)]
    _same(alone_aggressive, alone_greedy)
    _same(aggressive_search(model, _batch(rows), limits), alone_greedy)
    assert any(h.ids != tuple(r[:-1]) for h, r in zip(alone_greedy, rows))  # some lines are corrected


def test_aggressive_equals_greedy_when_the_limit_cuts_the_output(engine, rows):
    model = engine.model.load()
    for limit in (1, 3, 7):
        limits = np.full(len(rows), limit)
        ours, theirs = aggressive_search(model, _batch(rows), limits), greedy_search(model, _batch(rows), limits)
        _same(ours, theirs)
        assert all(len(h.ids) <= limit for h in ours) and not all(h.complete for h in ours)


def test_a_copied_line_takes_far_fewer_decoder_calls_than_tokens(engine, rows):
    counting = CountingModel(engine.model.load())
    kept = rows[len(TRAINED_CORRECTIONS)]  # a line the model copies unchanged
    hypothesis = aggressive_search(counting, _batch([kept]), np.array([len(kept) + 10]))[0]
    assert hypothesis.ids == tuple(kept[:-1]) and hypothesis.complete
    assert counting.calls == 1  # the whole draft, eos included, accepted in one call
    counting.calls = 0
    corrected = rows[0]
    hypothesis = aggressive_search(counting, _batch([corrected]), np.array([len(corrected) + 10]))[0]
    assert hypothesis.ids != tuple(corrected[:-1])
    assert counting.calls < len(hypothesis.ids) + 1  # greedy makes one call per token and one for eos


def test_the_corrector_gives_the_same_corrections_with_either_search(trained_model_dir, engine):
    aggressive = Corrector.from_dir(trained_model_dir, device="cpu", options=CorrectorOptions(
        threads=1, cache_size=0, policy=False, search="aggressive"))
    ours, theirs = aggressive.correct_batch(LINES), engine.correct_batch(LINES)
    for a, b in zip(ours, theirs, strict=True):  # confidences come from log-probs: equal up to rounding
        assert a.corrected == b.corrected
        assert [(e.start, e.end, e.replacement, e.kind) for e in a.edits] == \
            [(e.start, e.end, e.replacement, e.kind) for e in b.edits]
        np.testing.assert_allclose([e.confidence for e in a.edits], [e.confidence for e in b.edits], atol=1e-4)
    assert [c.corrected for c in ours] != LINES


def test_realign_follows_deletions_insertions_and_substitutions():
    source = [10, 11, 12, 13, 14, 3]
    assert realign(source, 1, 12) == 3  # source piece 11 deleted: go on after 12
    assert realign(source, 2, 11) == 2  # 11 emitted again (an insertion before it undone)
    assert realign(source, 1, 99) == 2  # a substitution of 11
    assert realign(source, 6, 99) == 7  # past the end: nothing left to draft


def test_unknown_search_is_refused_by_name(trained_model_dir):
    with pytest.raises(InputError, match="search must be one of auto, greedy, aggressive, got 'fast'"):
        Corrector.from_dir(trained_model_dir, options=CorrectorOptions(search="fast"))


def _one_token_decoder(model_dir, target):
    """A copy of model_dir as exports before aggressive decoding wrote it: the decoder without its
    all_log_probs output (one token per call), recorded so in model.json."""
    import json
    import shutil

    import onnx

    from nahawi.model_dir import DECODER_ALL_LOG_PROBS, file_record

    shutil.copytree(model_dir, target)
    graph = onnx.load(str(target / "decoder.onnx"))
    for output in [o for o in graph.graph.output if o.name == DECODER_ALL_LOG_PROBS]:
        graph.graph.output.remove(output)
    onnx.save(graph, str(target / "decoder.onnx"))
    document = json.loads((target / "model.json").read_text(encoding="utf-8"))
    outputs = document["graphs"]["decoder"]["outputs"]
    document["graphs"]["decoder"]["outputs"] = [o for o in outputs if o["name"] != DECODER_ALL_LOG_PROBS]
    document["files"]["decoder.onnx"] = file_record(target / "decoder.onnx")
    (target / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return target


def test_a_decoder_of_one_token_per_call_refuses_aggressive_but_still_loads(trained_model_dir, tmp_path):
    older = _one_token_decoder(trained_model_dir, tmp_path / "older")
    with pytest.raises(ModelError, match="takes one token per call"):
        Corrector.from_dir(older, options=CorrectorOptions(search="aggressive", threads=1))
    model = open_model(older, "cpu", threads=1)
    assert not model.parallel
    with pytest.raises(ModelError, match="one token per call"):
        model.verify(np.array([[2, 5]]), 0, np.array([[5, 3]]), *model.encode(np.array([[5, 3]])),
                     np.zeros((1,)), np.zeros((1,)))
    auto = Corrector.from_dir(older, options=CorrectorOptions(threads=1, policy=False, cache_size=0))
    assert not auto.aggressive  # search "auto" decodes it greedily, as before
    newer = Corrector.from_dir(trained_model_dir, options=CorrectorOptions(threads=1, policy=False, cache_size=0))
    assert newer.aggressive
    assert [c.corrected for c in auto.correct_batch(LINES)] == [c.corrected for c in newer.correct_batch(LINES)]


def test_bench_speed_puts_aggressive_beside_greedy_with_the_same_outputs(trained_model_dir):
    from nahawi.bench.speed import run_speed_benchmark

    sentences = [source for source, _ in TRAINED_CORRECTIONS[:6]] + list(TRAINED_KEPT[:4])
    result = run_speed_benchmark(trained_model_dir, sentences=sentences, threads=1, warmup=1, isolate=False)
    assert result["engine"]["search"] == "greedy" and result["aggressive"]["search"] == "aggressive"
    assert result["aggressive_outputs_identical"] == 1.0
    assert result["aggressive"]["single"]["p50_ms"] > 0 and result["aggressive_speedup_batched"] > 0


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "model.json").is_file(), reason="the default model is not installed")
def test_bench_speed_says_why_a_one_token_decoder_has_no_aggressive_numbers(trained_model_dir, tmp_path):
    from nahawi.bench.speed import run_speed_benchmark, sample_sentences

    older = _one_token_decoder(trained_model_dir, tmp_path / "older")
    result = run_speed_benchmark(older, sentences=sample_sentences()[:2], threads=1, warmup=0, isolate=False)
    assert result["aggressive"].startswith("not measured: this decoder takes one token per call")
