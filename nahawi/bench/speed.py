"""Speed benchmark: the engine against the way the original system decoded, same weights, same sentences.

Owns the measurement: latency (p50/p95) of single-sentence calls, sentences/s and words/s, and peak memory
(peak RSS from the OS, `VmHWM` or `getrusage`: tracemalloc does not see ORT's or torch's native memory),
for (1) `nahawi.engine.Corrector` (ONNX Runtime, key/value cache, batched; greedy and, when the decoder takes
several tokens per call, aggressive decoding side by side) and, when a checkpoint is given,
(2) a naive PyTorch greedy decoder that re-runs the whole decoder over the growing prefix at every step
with no cache. Each system runs in a fresh process so its peak memory is its own. torch is imported only
for (2). Sentences: the first documents of QALB-2014 dev (sentence segments) when the shared data is
present, else `nahawi/resources/sample.txt`. Returns a plain dict; the CLI prints it.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nahawi.errors import InputError, MissingExtraError, NahawiError
from nahawi.model_dir import DECODER_ALL_LOG_PROBS, load_model_info

QALB_DEV_SOURCE = Path("qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids")
SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "sample.txt"


def data_roots(data_root: str | Path | None = None) -> list[Path]:
    """Where the shared data may be: the argument, NAHAWI_DATA_ROOT, ../shared/data from the working
    directory, then from the repository."""
    candidates = [data_root, os.environ.get("NAHAWI_DATA_ROOT"), "../shared/data",
                  Path(__file__).resolve().parents[2].parent / "shared" / "data"]
    return [Path(c) for c in candidates if c]


def load_sentences(documents: int = 50, data_root: str | Path | None = None) -> tuple[list[str], str]:
    """(sentence segments of the first QALB-2014 dev documents, or of the bundled sample; where from)."""
    from nahawi.text.segment import segment_text

    for root in data_roots(data_root):
        path = root / QALB_DEV_SOURCE
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()[:documents]
            return [s.text for line in lines for s in segment_text(line)], str(path.resolve())
    return sample_sentences(), str(SAMPLE)


def sample_sentences() -> list[str]:
    """The bundled sample text (original sentences with typical hamza / ta marbuta / alif maqsura slips)."""
    from nahawi.text.segment import segment_text

    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [s.text for line in lines for s in segment_text(line)]


def max_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB: Linux's VmHWM (reset at exec, unlike
    ru_maxrss, which a child inherits from the parent that forked it), else ru_maxrss (KiB on Linux,
    bytes on macOS)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def _summary(latencies: list[float], words: int) -> dict:
    total = sum(latencies)
    ordered = sorted(latencies)
    return {"seconds": total, "p50_ms": 1000 * statistics.median(ordered),
            "p95_ms": 1000 * ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
            "sentences_per_s": len(latencies) / total if total else 0.0,
            "words_per_s": words / total if total else 0.0}


def _time_each(function, sentences: list[str]) -> list[float]:
    latencies = []
    for sentence in sentences:
        start = time.perf_counter()
        function(sentence)
        latencies.append(time.perf_counter() - start)
    return latencies


def measure_engine(model_dir: str, sentences: list[str], beam: int, device: str, threads: int | None,
                   warmup: int, search: str = "greedy") -> dict:
    """Single-sentence calls and one batched call through the Corrector (cache off), plus the ids of the
    search (greedy or aggressive: they must be the same)."""
    import numpy as np

    from nahawi.engine import Corrector, CorrectorOptions
    from nahawi.engine.mapping import model_input
    from nahawi.engine.search import aggressive_search, greedy_search, length_limits

    baseline = max_rss_mb()
    # Every call really decodes: no cache, and no policy (a policy that shows no model edit skips the model).
    options = CorrectorOptions(threads=threads, cache_size=0, policy=False, search=search)
    decode = aggressive_search if search == "aggressive" else greedy_search
    engine = Corrector.from_dir(model_dir, device=device, options=options)
    for sentence in sentences[:warmup]:
        engine.correct(sentence, beam=beam)
    words = sum(len(s.split()) for s in sentences)
    single = _summary(_time_each(lambda s: engine.correct(s, beam=beam), sentences), words)
    start = time.perf_counter()
    engine.correct_batch(sentences, beam=beam)
    batched = time.perf_counter() - start
    pieces = [[piece.text for piece in engine.segments(sentence)] for sentence in sentences]
    ids = []
    for piece in (p for group in pieces for p in group):
        row = engine.codec.encode(model_input(piece).line)
        src = np.array([engine.source_ids(row)], dtype=np.int64)
        limit = length_limits(np.array([len(row)]), engine.max_len_a, engine.max_len_b,
                              engine.model_info.max_seq_len - 1)
        ids.append(list(decode(engine.model, src, limit, engine.special)[0].ids))
    info, shape = engine.info, engine.model_info
    output_tokens = sum(len(row) for row in ids)
    return {"system": "nahawi engine (ONNX Runtime, KV cache)", "search": search, "device": info.device,
            "provider": info.provider, "threads": info.threads, "precision": info.precision,
            "layers": {"encoder": shape.num_encoder_layers, "decoder": shape.num_decoder_layers,
                       "d_model": shape.d_model},
            "output_tokens": output_tokens,
            # the single calls' whole time (encoder, decoder, Python) over the pieces they wrote
            "ms_per_output_token": 1000 * single["seconds"] / max(1, output_tokens),
            "single": single,
            "batched": {"seconds": batched, "sentences_per_s": len(sentences) / batched,
                        "words_per_s": words / batched},
            "peak_rss_mb": max_rss_mb(), "model_rss_mb": max_rss_mb() - baseline, "greedy_ids": ids,
            "pieces": pieces}


def measure_pipeline(model_dir: str, sentences: list[str], device: str, threads: int | None, warmup: int,
                     learner: bool = False, search: str = "auto") -> dict:
    """What a user gets: the model directory's shipped pipeline (its policy, or its learner policy, and every
    stage it keeps, the tagger where it has one), cache off — one call a sentence, and all sentences in one
    batched call."""
    from nahawi.engine import Corrector, CorrectorOptions

    baseline = max_rss_mb()
    options = CorrectorOptions(threads=threads, cache_size=0, learner=learner, search=search)
    engine = Corrector.from_dir(model_dir, device=device, options=options)
    for sentence in sentences[:warmup]:
        engine.correct(sentence)
    words = sum(len(s.split()) for s in sentences)
    single = _summary(_time_each(engine.correct, sentences), words)
    start, cpu = time.perf_counter(), time.process_time()
    engine.correct_batch(sentences)
    batched, batched_cpu = time.perf_counter() - start, time.process_time() - cpu
    info = engine.info
    stages = [name for name, on in (("tagger", engine.tagger is not None), ("seq2seq", engine.uses_model),
                                    ("lexicon", engine.stages.lexicon is not None),
                                    ("punctuation", engine.stages.punctuation is not None)) if on]
    return {"system": f"nahawi pipeline ({'learner' if learner else 'shipped'} policy)", "stages": stages,
            "search": search, "device": info.device,
            "threads": info.threads, "single": single,
            "batched": {"seconds": batched, "sentences_per_s": len(sentences) / batched, "words_per_s": words / batched,
                        # CPU seconds of this process: on a shared machine, what the pipeline costs itself
                        "cpu_seconds": batched_cpu, "words_per_cpu_s": words / max(batched_cpu, 1e-9)},
            "peak_rss_mb": max_rss_mb(), "model_rss_mb": max_rss_mb() - baseline}


def measure_naive_torch(checkpoint: str, model_dir: str, pieces: list[list[str]], words: int,
                        threads: int | None, warmup: int) -> dict:
    """Greedy decoding that recomputes the full decoder over the prefix at every step, no cache; each
    sentence is decoded as the same pieces the engine cut it into (see `Corrector.segments`)."""
    try:
        import torch
    except ImportError:
        raise MissingExtraError("train", "torch") from None
    from nahawi.engine.mapping import SubwordCodec, model_input
    from nahawi.engine.sessions import resolve_threads
    from nahawi.model_dir import load_model_info
    from training.checkpoint import load_model

    baseline = max_rss_mb()
    torch.set_num_threads(resolve_threads(threads))
    info = load_model_info(model_dir)
    codec = SubwordCodec(info.tokenizer_path)
    model, _ = load_model(checkpoint)
    model.eval()
    a, b = float(info.decoding.get("max_len_a", 1.2)), int(info.decoding.get("max_len_b", 10))

    def decode(piece: str) -> list[int]:
        row = codec.encode(model_input(piece).line)
        limit = max(1, min(int(len(row) * a) + b, info.max_seq_len - 1))
        return naive_greedy(model, row, limit, info.bos_id, info.eos_id, info.pad_id, info.source_bos)

    def decode_sentence(group: list[str]) -> None:
        for piece in group:
            decode(piece)

    with torch.inference_mode():
        for group in pieces[:warmup]:
            decode_sentence(group)
        single = _summary(_time_each(decode_sentence, pieces), words)
        ids = [decode(piece) for group in pieces for piece in group]
    return {"system": "naive PyTorch greedy (full decoder every step, no cache)", "device": "cpu",
            "threads": torch.get_num_threads(), "single": single, "peak_rss_mb": max_rss_mb(),
            "model_rss_mb": max_rss_mb() - baseline, "greedy_ids": ids}


def naive_greedy(model, row: list[int], limit: int, bos: int, eos: int, pad: int,
                 source_bos: bool = False) -> list[int]:
    """The original system's decoding loop: the whole target prefix goes through the decoder each step.
    The source is the model's own convention: pieces + eos, or bos + pieces + eos (`source_bos`)."""
    import torch

    src = torch.tensor([[*([bos] if source_bos else []), *row, eos]])
    memory = model.encode(src)
    out: list[int] = []
    while True:
        tgt = torch.tensor([[bos, *out]])
        logits = model.decode(tgt, memory, src)[0, -1]  # (V,) recomputed from scratch
        logits[[pad, bos]] = -float("inf")
        token = int(logits.argmax())
        if token == eos or len(out) >= limit:
            return out
        out.append(token)


REAL_SOURCES = tuple(map(Path, (
    "qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids", "qalb/2014/test/QALB-2014-L1-Test.sent.no_ids",
    "qalb/2015/dev/QALB-2015-L2-Dev.sent.no_ids", "qalb/2015/train/QALB-2015-L2-Train.sent.no_ids",
    "zaebuc/dev/dev.sent.raw", "zaebuc/train/train.sent.raw")))
# (what is corrected, as one document?, smaller and larger size in UTF-8 bytes): the pairs issue 15 bounds
# (800 KB at most 10x the time of 100 KB, 4 MB at most 5x the time of 1 MB).
SCALING_CASES = (("one unpunctuated document", True, 100_000, 800_000),
                 ("documents, one per line", False, 1_000_000, 4_000_000),
                 ("one unpunctuated document", True, 1_000_000, 4_000_000))


def learner_lines(data_root: str | Path | None = None) -> tuple[list[str], str]:
    """(the source side of every real learner file found: QALB-2014/2015, ZAEBUC; where from), else the
    bundled sample's words in a seeded shuffle (so that the segments of a long text are not all repeats)."""
    for root in data_roots(data_root):
        paths = [root / path for path in REAL_SOURCES if (root / path).is_file()]
        if paths:
            lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
            return lines, ", ".join(str(p.resolve()) for p in paths)
    import random

    words = SAMPLE.read_text(encoding="utf-8").split()
    lines = []
    for seed in range(200):
        random.Random(seed).shuffle(words)
        lines.append(" ".join(words))
    return lines, f"{SAMPLE} (words shuffled)"


def scaling_text(lines: list[str], size: int, one_document: bool) -> str:
    """About `size` UTF-8 bytes of `lines` (repeated if need be), cut at a word or line boundary: one line
    without any punctuation mark when `one_document`, else the lines as written."""
    from nahawi.text.punct import is_punct_char

    if not any(line.strip() for line in lines):
        raise InputError("no text to benchmark")
    if one_document:
        lines = [" ".join("".join(ch for ch in " ".join(lines) if not is_punct_char(ch)).split())]
    joiner = " " if one_document else "\n"
    pieces, total = [], 0
    while total < size:
        for line in lines:
            pieces.append(line)
            total += len(line.encode("utf-8")) + 1
            if total >= size:
                break
    text = joiner.join(pieces).encode("utf-8")[:size].decode("utf-8", "ignore")
    return text.rsplit(joiner, 1)[0] if joiner in text else text


def measure_scaling(model_dir: str, text: str, threads: int | None, repeats: int) -> dict:
    """Seconds to correct `text` with the default policy (best of `repeats`, cache off), its lines in
    chunks of 256 as `nahawi correct` does; the model's load is not timed, the peak memory includes it."""
    from nahawi.engine import Corrector, CorrectorOptions

    engine = Corrector.from_dir(model_dir, device="cpu", options=CorrectorOptions(threads=threads, cache_size=0))
    lines = text.split("\n")
    times, edits = [], 0
    for _ in range(repeats):
        start, edits = time.perf_counter(), 0
        for first in range(0, len(lines), 256):
            edits += sum(len(r.edits) for r in engine.correct_batch(lines[first:first + 256]))
        times.append(time.perf_counter() - start)
    return {"bytes": len(text.encode("utf-8")), "words": len(text.split()), "lines": len(lines), "edits": edits,
            "seconds": min(times), "runs": times, "peak_rss_mb": max_rss_mb()}


def run_scaling_benchmark(model_dir: str | Path, threads: int | None = None, repeats: int = 3,
                          cases=SCALING_CASES, isolate: bool = True, data_root: str | Path | None = None) -> dict:
    """For each case, the time to correct the smaller and the larger text and their ratio (linear: the size
    ratio); each size in its own process, so each peak memory is its own."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise InputError(f"repeats must be a positive integer, got {repeats!r}")
    lines, origin = learner_lines(data_root)
    run = _in_child if isolate else _in_process
    results = {"source": origin, "repeats": repeats, "cpus": os.cpu_count(), "cases": []}
    for name, one_document, small, large in cases:
        sizes = [run("scaling", str(model_dir), scaling_text(lines, size, one_document), threads, repeats)
                 for size in (small, large)]
        results["cases"].append({"case": name, "small": sizes[0], "large": sizes[1],
                                 "size_ratio": sizes[1]["bytes"] / sizes[0]["bytes"],
                                 "time_ratio": sizes[1]["seconds"] / max(sizes[0]["seconds"], 1e-9)})
    return results


_MEASURES = {"engine": measure_engine, "pipeline": measure_pipeline, "naive_torch": measure_naive_torch, "scaling": measure_scaling}


def _in_child(name: str, *args) -> dict:
    """Run one measurement in a fresh interpreter (its own peak memory, no torch or ORT state shared);
    arguments and result travel as JSON files."""
    with tempfile.TemporaryDirectory(prefix="nahawi-speed-") as work:
        request, answer = Path(work) / "request.json", Path(work) / "answer.json"
        request.write_text(json.dumps({"measure": name, "args": args}, ensure_ascii=False), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "nahawi.bench.speed", str(request), str(answer)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0 or not answer.is_file():
            last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise NahawiError(f"{name} benchmark failed: {last}")
        return json.loads(answer.read_text(encoding="utf-8"))


def _in_process(name: str, *args) -> dict:
    return _MEASURES[name](*args)


def run_speed_benchmark(model_dir: str | Path, checkpoint: str | Path | None = None,
                        sentences: list[str] | None = None, documents: int = 50, limit: int | None = 200,
                        beam: int = 1, device: str = "cpu", threads: int | None = None, warmup: int = 3,
                        isolate: bool = True, data_root: str | Path | None = None,
                        against: str | Path | None = None) -> dict:
    """Benchmark the engine on model_dir and, given the checkpoint it was exported from, the naive
    PyTorch decoder side by side; given `against`, another model directory's engine on the same sentences
    (another decoder depth, say). limit caps the number of sentences (None: all)."""
    if sentences is None:
        sentences, origin = load_sentences(documents, data_root)
    else:
        origin = "given"
    sentences = [s for s in sentences if s.strip()][:limit]
    if not sentences:
        raise InputError("no sentences to benchmark")
    run = _in_child if isolate else _in_process
    results = {"sentences": len(sentences), "words": sum(len(s.split()) for s in sentences),
               "source": origin, "beam": beam, "model_dir": str(model_dir), "machine": platform.machine(),
               "cpus": os.cpu_count(), "isolated_processes": isolate}
    results["pipeline"] = run("pipeline", str(model_dir), sentences, device, threads, warmup)
    info = load_model_info(model_dir, verify_hashes=False)
    if info.learner_policy and info.has_seq2seq:  # the seq2seq runs for a learner: both searches, side by side
        searches = ("greedy", "aggressive") if DECODER_ALL_LOG_PROBS in info.decoder.outputs else ("greedy",)
        results["learner_pipeline"] = {search: run("pipeline", str(model_dir), sentences, device, threads, warmup,
                                                   True, search) for search in searches}
    engine = run("engine", str(model_dir), sentences, beam, device, threads, warmup)
    results["engine"] = {k: v for k, v in engine.items() if k not in ("greedy_ids", "pieces")}
    if beam == 1:
        results.update(_aggressive_side_by_side(run, engine, str(model_dir), sentences, device, threads, warmup))
    if against is not None:
        other = run("engine", str(against), sentences, beam, device, threads, warmup)
        results["against"] = {"model_dir": str(against),
                              **{k: v for k, v in other.items() if k not in ("greedy_ids", "pieces")}}
        results["against_speedup_sentences_per_s"] = (results["engine"]["single"]["sentences_per_s"]
                                                      / max(other["single"]["sentences_per_s"], 1e-9))
    if checkpoint is not None:
        naive = run("naive_torch", str(checkpoint), str(model_dir), engine["pieces"], results["words"],
                    threads, warmup)
        results["naive_torch"] = {k: v for k, v in naive.items() if k != "greedy_ids"}
        agree = sum(x == y for x, y in zip(engine["greedy_ids"], naive["greedy_ids"], strict=True))
        results["greedy_outputs_identical"] = agree / max(1, len(engine["greedy_ids"]))
        results["speedup_p50"] = naive["single"]["p50_ms"] / max(engine["single"]["p50_ms"], 1e-9)
        results["speedup_sentences_per_s"] = (engine["single"]["sentences_per_s"]
                                              / max(naive["single"]["sentences_per_s"], 1e-9))
    return results


def _aggressive_side_by_side(run, greedy: dict, model_dir: str, sentences: list[str], device: str,
                              threads: int | None, warmup: int) -> dict:
    """The same engine with aggressive decoding (when the decoder takes several tokens per call): its
    numbers, its speed-up over greedy and whether its ids are greedy's."""

    if DECODER_ALL_LOG_PROBS not in load_model_info(model_dir, verify_hashes=False).decoder.outputs:
        return {"aggressive": "not measured: this decoder takes one token per call (export the model again)"}
    aggressive = run("engine", model_dir, sentences, 1, device, threads, warmup, "aggressive")
    same = sum(x == y for x, y in zip(greedy["greedy_ids"], aggressive["greedy_ids"], strict=True))
    return {"aggressive": {k: v for k, v in aggressive.items() if k not in ("greedy_ids", "pieces")},
            "aggressive_outputs_identical": same / max(1, len(greedy["greedy_ids"])),
            "aggressive_speedup_p50": greedy["single"]["p50_ms"] / max(aggressive["single"]["p50_ms"], 1e-9),
            "aggressive_speedup_batched": (aggressive["batched"]["sentences_per_s"]
                                           / max(greedy["batched"]["sentences_per_s"], 1e-9))}


if __name__ == "__main__":  # the child side of _in_child
    _request = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    _result = _MEASURES[_request["measure"]](*_request["args"])
    Path(sys.argv[2]).write_text(json.dumps(_result, ensure_ascii=False), encoding="utf-8")
