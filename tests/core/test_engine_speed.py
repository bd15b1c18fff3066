"""The speed benchmark runs end to end on the tiny exported model and reports sane numbers."""
import pytest

from nahawi.bench.speed import run_speed_benchmark, sample_sentences
from nahawi.text.chars import has_arabic


def test_bundled_sample_is_arabic_sentences():
    sentences = sample_sentences()
    assert len(sentences) >= 10 and all(has_arabic(s) for s in sentences)


def test_engine_benchmark_reports_latency_throughput_and_memory(tiny_model_dir):
    result = run_speed_benchmark(tiny_model_dir, sentences=sample_sentences(), threads=1, warmup=1,
                                 isolate=False)
    engine = result["engine"]
    assert result["sentences"] == len(sample_sentences()) and result["words"] > result["sentences"]
    assert 0 < engine["single"]["p50_ms"] <= engine["single"]["p95_ms"]
    assert engine["single"]["sentences_per_s"] > 0 and engine["batched"]["words_per_s"] > 0
    assert engine["peak_rss_mb"] > 0 and engine["provider"] == "CPUExecutionProvider"
    assert "naive_torch" not in result
    pipeline = result["pipeline"]  # what users get: the tiny model's policy and stages, batched and one by one
    assert pipeline["batched"]["words_per_s"] > 0 and pipeline["batched"]["words_per_cpu_s"] > 0
    assert 0 < pipeline["single"]["p50_ms"] <= pipeline["single"]["p95_ms"]
    assert set(pipeline["stages"]) <= {"tagger", "seq2seq", "lexicon", "punctuation"}


@pytest.mark.slow
def test_naive_torch_decoder_agrees_with_the_engine(tmp_path):
    pytest.importorskip("torch", reason="the naive decoder needs the 'train' extra (torch)")
    from export.exporter import ExportRequest, export_model
    from export.fixtures import build_tiny_sources

    sources = build_tiny_sources(tmp_path / "sources")
    export_model(ExportRequest(sources.checkpoint, tmp_path / "model"))
    result = run_speed_benchmark(tmp_path / "model", checkpoint=sources.checkpoint,
                                 sentences=sample_sentences()[:4], threads=1, warmup=0)
    assert result["greedy_outputs_identical"] == 1.0  # same weights, same search: same ids
    assert result["naive_torch"]["single"]["p50_ms"] > 0 and result["speedup_p50"] > 0


def test_another_model_runs_beside_on_the_same_sentences(trained_model_dir, tiny_model_dir):
    """`--against`: a second model directory's engine on the same sentences in the same run, each with its
    depth and what it wrote; the same directory on both sides writes the same pieces."""
    from nahawi.model_dir import load_model_info

    sentences = sample_sentences()[:6]
    result = run_speed_benchmark(trained_model_dir, sentences=sentences, threads=1, warmup=0, isolate=False,
                                 against=trained_model_dir)
    engine, other = result["engine"], result["against"]
    assert engine["output_tokens"] == other["output_tokens"] > 0
    assert engine["ms_per_output_token"] > 0 and result["against_speedup_sentences_per_s"] > 0

    result = run_speed_benchmark(trained_model_dir, sentences=sentences, threads=1, warmup=0, isolate=False,
                                 against=tiny_model_dir)
    info = load_model_info(tiny_model_dir, verify_hashes=False)
    assert result["against"]["model_dir"] == str(tiny_model_dir)
    assert result["against"]["layers"] == {"encoder": info.num_encoder_layers, "decoder": info.num_decoder_layers,
                                           "d_model": info.d_model}
