"""`nahawi bench …`: benchmark commands. Thin: options are parsed here, the work is in `nahawi.bench`.

Exit codes as in `nahawi correct` (`nahawi.cli.EXIT_CODES`): 0 ok, 1 input error (missing or malformed
file, wrong line count, bad option value), 2 model error, 5 missing extra. Errors are one line on stderr,
never a traceback.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from nahawi.cli import EXIT_INPUT, LATIN_MARKS_HELP, exit_code, fail
from nahawi.errors import InputError, M2FormatError, NahawiError

app = typer.Typer(help="Quality and speed benchmarks.", no_args_is_help=True, rich_markup_mode=None)

DATA_HELP = "GEC data root [env NAHAWI_DATA_ROOT, default ../shared/data]"


def _guard(work: Callable[[], None]) -> None:
    try:
        work()
    except (InputError, M2FormatError) as error:
        raise fail(EXIT_INPUT, str(error)) from None
    except NahawiError as error:
        raise fail(exit_code(error), str(error)) from None


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _print_quality(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    scores = Table(title=f"MaxMatch (M2, F0.5) — {report.name}, {report.sentences} sentences")
    for column in ("", "P", "R", "F0.5", "correct", "proposed", "gold"):
        scores.add_column(column, justify="left" if not column else "right")
    for label, score in (("with punctuation", report.punct), ("without punctuation", report.nopunct)):
        if score is not None:
            scores.add_row(label, _pct(score.precision), _pct(score.recall), _pct(score.f_beta),
                           str(score.correct), str(score.proposed), str(score.gold))
    console.print(scores)
    kinds = Table(title="By error kind")
    for column in ("kind", "gold", "recall", "proposed", "precision"):
        kinds.add_column(column, justify="left" if column == "kind" else "right")
    for k in report.kinds:
        kinds.add_row(k.group, str(k.gold), _pct(k.recall), str(k.proposed), _pct(k.precision))
    console.print(kinds)
    for label, score in (("with", report.punct), ("without", report.nopunct)):
        if score is not None and score.inexact_lines:
            console.print(f"note ({label} punctuation): lines {list(score.inexact_lines)} have edit lattices "
                          "too large for the exact search; they were scored with the reduced search")


def _print_misses(found: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for group, lists in found.items():
        table = Table(title=f"{group}: commonest misses and unmatched edits")
        for column in ("missed (gold)", "times", "unmatched (system)", "times"):
            table.add_column(column, justify="right" if column == "times" else "left")
        missed, wrong = lists["missed"], lists["wrong"]
        for k in range(max(len(missed), len(wrong))):
            row = []
            for rows in (missed, wrong):
                row += [f"{rows[k][0]} → {rows[k][1]}", str(rows[k][2])] if k < len(rows) else ["", ""]
            table.add_row(*row)
        if missed or wrong:
            console.print(table)


def _print_pairs(report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Pairs — {report.name}, {report.pairs} pairs")
    for column in ("category", "correct", "total", "accuracy"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for category, (correct, total) in report.accuracy.items():
        table.add_row(category, str(correct), str(total), _pct(correct / total))
    console = Console()
    console.print(table)
    changed, clean = report.false_alarms
    console.print(f"false alarms: {changed} of {clean} already-correct sentences changed "
                  f"({_pct(changed / clean) if clean else '–'}%)")


@app.command()
def quality(
    hyp: Annotated[Path | None, typer.Option("--hyp", help="System output, one line per gold sentence.")] = None,
    m2: Annotated[Path | None, typer.Option("--m2", help="Gold M2 file to score --hyp against.")] = None,
    no_punct: Annotated[bool, typer.Option("--no-punct", help="Strip punctuation from --hyp first "
                                                               "(score against a .nopnx.m2).")] = False,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Run the model on qalb14-dev, "
                                                "qalb14-test, qalb15-dev or zaebuc-dev.")] = None,
    data_root: Annotated[str | None, typer.Option("--data-root", help=DATA_HELP)] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: bundled).")] = None,
    hyp_out: Annotated[Path | None, typer.Option("--hyp-out", help="Write the model's hypothesis lines "
                                                 "here.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N documents of "
                                              "--dataset.")] = None,
    pairs: Annotated[Path | None, typer.Option("--pairs", help="Pair file (.jsonl or .json: source, "
                                               "target, optional category).")] = None,
    pairs_hyp: Annotated[Path | None, typer.Option("--pairs-hyp", help="Precomputed output for --pairs, "
                                                   "one line per pair.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="--dataset: the model's strict policy.")] = False,
    learner: Annotated[bool, typer.Option("--learner", help="--dataset: the model's learner policy.")] = False,
    seq2seq_alone: Annotated[bool, typer.Option("--seq2seq-alone", help="--dataset: the model's seq2seq "
                                                "alone, every edit it makes (no lexicon, spacing, punctuation "
                                                "model, tagger or policy).")] = False,
    beam: Annotated[int, typer.Option("--beam", min=1, help="--dataset: beam size of the seq2seq's search "
                                      "(1: greedy or aggressive decoding).")] = 1,
    latin_marks: Annotated[bool, typer.Option("--latin-marks", help=LATIN_MARKS_HELP)] = False,
    misses: Annotated[int, typer.Option("--misses", min=0, help="Also list, per error kind, the N commonest "
                                        "gold edits missed and system edits that matched none.")] = 0,
) -> None:
    """Score system output with MaxMatch (P, R, F0.5 with and without punctuation, recall and precision by
    error kind), or sentence accuracy and false alarms on a pair file.

    Modes: --hyp FILE --m2 FILE; --dataset NAME (runs the model); --pairs FILE [--pairs-hyp FILE].
    """
    from nahawi.bench import quality as q

    def work() -> None:
        modes = [hyp is not None or m2 is not None, dataset is not None, pairs is not None]
        if sum(modes) != 1:
            raise InputError("choose one of --hyp/--m2, --dataset or --pairs")
        if (seq2seq_alone or beam != 1) and dataset is None:
            raise InputError("--seq2seq-alone and --beam run the model on a dataset: they go with --dataset")
        if pairs is not None:
            report = q.run_pairs(pairs, pairs_hyp, model)
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False)) if as_json else _print_pairs(report)
            return
        if dataset is not None:
            report = q.score_dataset(dataset, data_root, model, hyp_out, limit, strict=strict,
                                     latin_marks=latin_marks, learner=learner, seq2seq_alone=seq2seq_alone,
                                     beam=beam)
        else:
            if hyp is None or m2 is None:
                raise InputError("--hyp and --m2 go together")
            report = q.score_file(hyp, m2, no_punct)
        scored = report.punct or report.nopunct
        found = q.frequent_misses(scored, misses) if misses and scored is not None else None
        if as_json:
            typer.echo(json.dumps({**report.to_dict(), **({"misses": found} if found else {})}, ensure_ascii=False))
        else:
            _print_quality(report)
            if found:
                _print_misses(found)

    _guard(work)


@app.command()
def scorer(
    reference: Annotated[Path | None, typer.Option("--reference", help="Folder with expected.json and the "
                                                   "reference outputs [DATA_ROOT/../reference/qalb14-test].")]
    = None,
    data_root: Annotated[str | None, typer.Option("--data-root", help=DATA_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Time the M2 scorer on the reference outputs and check every count against expected.json."""
    from nahawi.bench.quality import resolve_data_root
    from nahawi.m2 import read_lines, read_m2, score_corpus

    def work() -> None:
        folder = reference or resolve_data_root(data_root).parent / "reference" / "qalb14-test"
        try:
            expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"cannot read {folder / 'expected.json'}: {error}") from None
        golds, failures = {}, 0
        for name, want in sorted(expected.items()):
            gold = golds.setdefault(want["gold"], read_m2(folder / want["gold"]))
            lines = read_lines(folder / name)
            start = time.perf_counter()
            s = score_corpus(gold, lines)
            seconds = time.perf_counter() - start
            got = {"correct": s.correct, "proposed": s.proposed, "gold_edits": s.gold,
                   "precision": round(s.precision, 4), "recall": round(s.recall, 4), "f0.5": round(s.f_beta, 4)}
            ok = all(got[k] == want[k] for k in got)
            failures += not ok
            if as_json:
                typer.echo(json.dumps({"file": name, **got, "seconds": round(seconds, 2), "matches": ok}))
            else:
                typer.echo(f"{name:30s} {s.correct:6d} {s.proposed:6d} {s.gold:6d}  P {got['precision']:.4f} "
                           f"R {got['recall']:.4f} F0.5 {got['f0.5']:.4f}  {seconds:6.2f} s  "
                           f"{'ok' if ok else 'DIFFERS from expected.json'}")
        if failures:
            raise InputError(f"{failures} of {len(expected)} files differ from expected.json")

    _guard(work)


@app.command()
def speed(
    model: Annotated[Path | None, typer.Option("--model", help="Model directory [the embedded model].")] = None,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="The checkpoint the model was exported "
                                                    "from: adds the naive PyTorch decoder side by side.")] = None,
    documents: Annotated[int, typer.Option("--documents", help="QALB-2014 dev documents to take sentences "
                                           "from.")] = 50,
    limit: Annotated[int, typer.Option("--limit", help="At most this many sentences.")] = 200,
    beam: Annotated[int, typer.Option("--beam", help="Beam size.")] = 1,
    device: Annotated[str, typer.Option("--device", help="cpu | cuda | auto.")] = "cpu",
    threads: Annotated[int | None, typer.Option("--threads", help="Intra-op threads.")] = None,
    data_root: Annotated[str | None, typer.Option("--data-root", help=DATA_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    scaling: Annotated[bool, typer.Option("--scaling", help="Add the scaling section: the time to correct 100 KB "
                                          "and 800 KB of one unpunctuated document, 1 MB and 4 MB of lines and "
                                          "of one document, with the default policy (minutes).")] = False,
    repeats: Annotated[int, typer.Option("--repeats", help="Scaling: best of this many runs per size.")] = 3,
    against: Annotated[Path | None, typer.Option("--against", help="Another model directory whose engine runs "
                                                 "on the same sentences in the same run (another decoder depth, "
                                                 "say).")] = None,
) -> None:
    """Sentences/s, words/s, p50/p95 latency and peak memory of the engine (and the naive decoder, or another
    model's engine); with --scaling, how the time grows with the size of the text."""
    from nahawi.bench.speed import run_scaling_benchmark, run_speed_benchmark
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR

    def work() -> None:
        report = run_speed_benchmark(model or DEFAULT_MODEL_DIR, checkpoint, documents=documents, limit=limit,
                                     beam=beam, device=device, threads=threads, data_root=data_root,
                                     against=against)
        if scaling:
            report["scaling"] = run_scaling_benchmark(model or DEFAULT_MODEL_DIR, threads=threads,
                                                      repeats=repeats, data_root=data_root)
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
            return
        pipeline = report["pipeline"]
        pipelines = [("pipeline", pipeline), *((f"learner pipeline, {search} search", measured) for search, measured
                                               in report.get("learner_pipeline", {}).items())]
        for title, measured in pipelines:
            typer.echo(f"{title} ({'+'.join(measured['stages']) or 'no stage'}): batched "
                       f"{measured['batched']['words_per_s']:.0f} words/s "
                       f"({measured['batched']['words_per_cpu_s']:.0f} per CPU second); one call a sentence "
                       f"{measured['single']['words_per_s']:.0f} words/s, p50 {measured['single']['p50_ms']:.1f} ms, "
                       f"p95 {measured['single']['p95_ms']:.1f} ms; peak {measured['peak_rss_mb']:.0f} MB")
        for name in ("engine", "aggressive", "against", "naive_torch"):
            if isinstance(report.get(name), dict):
                single = report[name]["single"]
                layers = report[name].get("layers")
                shape = f"  {layers['encoder']}+{layers['decoder']} layers" if layers else ""
                per_token = (f"  {report[name]['ms_per_output_token']:.2f} ms a piece"
                             if "ms_per_output_token" in report[name] else "")
                typer.echo(f"{name:12s} {single['sentences_per_s']:8.1f} sent/s  {single['words_per_s']:8.0f} "
                           f"words/s  p50 {single['p50_ms']:.1f} ms  p95 {single['p95_ms']:.1f} ms  "
                           f"peak {report[name].get('peak_rss_mb', float('nan')):.0f} MB{shape}{per_token}")
        if "against_speedup_sentences_per_s" in report:
            typer.echo(f"against {report['against']['model_dir']}: this model "
                       f"{report['against_speedup_sentences_per_s']:.2f}x its sentences/s")
        if "aggressive_speedup_p50" in report:
            typer.echo(f"aggressive decoding: {report['aggressive_speedup_p50']:.2f}x p50, "
                       f"{report['aggressive_speedup_batched']:.2f}x batched; outputs identical to greedy "
                       f"{report['aggressive_outputs_identical']:.0%}")
        elif isinstance(report.get("aggressive"), str):
            typer.echo(f"aggressive decoding {report['aggressive']}")
        if "speedup_sentences_per_s" in report:
            typer.echo(f"speed-up: {report['speedup_sentences_per_s']:.1f}x sentences/s, "
                       f"{report['speedup_p50']:.1f}x p50; greedy outputs identical "
                       f"{report['greedy_outputs_identical']:.0%}")
        if scaling:
            _print_scaling(report["scaling"])

    _guard(work)


def _print_scaling(report: dict) -> None:
    typer.echo(f"scaling (best of {report['repeats']}, text from {report['source']}):")
    for case in report["cases"]:
        small, large = case["small"], case["large"]
        typer.echo(f"  {case['case']:26s} {small['bytes'] / 1e3:7.0f} KB {small['seconds']:7.2f} s "
                   f"{small['peak_rss_mb']:5.0f} MB | {large['bytes'] / 1e3:7.0f} KB {large['seconds']:7.2f} s "
                   f"{large['peak_rss_mb']:5.0f} MB | time x{case['time_ratio']:.1f} for size x{case['size_ratio']:.1f}")


def _require(module: str, extra: str) -> None:
    import importlib.util

    from nahawi.errors import MissingExtraError

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(extra, module)


@app.command()
def lsp(
    model: Annotated[Path | None, typer.Option("--model", help="Model directory [the embedded model].")] = None,
    words: Annotated[int, typer.Option("--words", help="Words in the benchmark document.")] = 2000,
    edits: Annotated[int, typer.Option("--edits", help="One-word edits to time.")] = 20,
    learner: Annotated[bool, typer.Option("--learner", help="The server set to the model's learner policy "
                                          "(nahawi.learner: the seq2seq runs).")] = False,
) -> None:
    """Language server: first full check of a document, then diagnostics latency after one-word edits."""
    def work() -> None:
        _require("pygls", "lsp")
        from lsp_server.bench import run_lsp_benchmark

        typer.echo(json.dumps(run_lsp_benchmark(model, words=words, edits=edits, learner=learner),
                              ensure_ascii=False, indent=2))

    _guard(work)


@app.command("app")
def app_speed(
    model: Annotated[Path | None, typer.Option("--model", help="Model directory [the embedded model].")] = None,
    words: Annotated[int, typer.Option("--words", help="Words in the benchmark document.")] = 2000,
    megabytes: Annotated[float | None, typer.Option(
        "--megabytes", help="Open a file of this many MB instead (e.g. 5): opening stall, time until the lines "
                            "on screen are checked, GUI stalls while the rest is checked.")] = None,
    watch: Annotated[float, typer.Option("--watch", help="With --megabytes: seconds watched after opening.")] = 20.0,
) -> None:
    """Desktop editor (offscreen): longest GUI-thread stall while typing and time until underlines appear."""
    def work() -> None:
        _require("PySide6", "app")
        from nahawi.engine.corrector import DEFAULT_MODEL_DIR
        from nahawi_app.bench import run_app_benchmark, run_large_file_benchmark

        if megabytes is not None:
            report = run_large_file_benchmark(model or DEFAULT_MODEL_DIR, megabytes, watch_s=watch)
        else:
            report = run_app_benchmark(model or DEFAULT_MODEL_DIR, words=words)
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))

    _guard(work)


@app.command("false-alarms")
def false_alarms(
    dataset: Annotated[str, typer.Option("--dataset", help="qalb14-dev, qalb15-dev or zaebuc-dev")] = "qalb14-dev",
    model: Annotated[Path | None, typer.Option("--model", help="Model directory [the embedded model].")] = None,
    data_root: Annotated[str | None, typer.Option("--data-root", help=DATA_HELP)] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="First N documents only.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="The model's strict policy.")] = False,
    learner: Annotated[bool, typer.Option("--learner", help="The model's learner policy.")] = False,
    latin_marks: Annotated[bool, typer.Option("--latin-marks", help=LATIN_MARKS_HELP)] = False,
    list_alarms: Annotated[bool, typer.Option("--list", help="Also list every false alarm with its "
                                                             "document, kind, rule and context.")] = False,
) -> None:
    """Edits proposed on already-correct text (the gold corrected side): edited words per 1,000 words (a join
    or split counts every word it touches), edits, and kinds."""
    from nahawi.bench.false_alarms import measure_false_alarms

    def work() -> None:
        typer.echo(json.dumps(measure_false_alarms(dataset, data_root, model, limit, strict,
                                                   latin_marks, list_alarms, learner), ensure_ascii=False,
                              indent=2))

    _guard(work)


@app.command("ablation")
def ablation(
    dataset: Annotated[str, typer.Option("--dataset", help="qalb14-dev, qalb15-dev or zaebuc-dev")] = "qalb14-dev",
    model: Annotated[Path | None, typer.Option("--model", help="Model directory [the embedded model].")] = None,
    data_root: Annotated[str | None, typer.Option("--data-root", help=DATA_HELP)] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="First N documents only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """What each stage buys: the pipeline whole and with one stage taken out at a time (tagger, seq2seq edits,
    lexicon, spacing, punctuation model): F0.5 with and without punctuation, false alarms per 1,000 words."""
    from nahawi.bench.ablation import run_ablation

    def work() -> None:
        report = run_ablation(dataset, data_root, model, limit)
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
            return
        typer.echo(f"{report['dataset']}, {report['documents']} documents ({report['model']})")
        typer.echo(f"{'':40s} {'F0.5':>6s} {'no punct':>8s} {'alarms':>7s}   {'the stage buys':s}")
        for row in report["rows"]:
            buys = row.get("stage_buys")
            extra = "" if buys is None else (f"   {100 * buys['with_punct']:+.2f} / {100 * buys['no_punct']:+.2f}, "
                                             f"{buys['false_alarms_per_1000_words']:+.2f} alarms")
            typer.echo(f"{row['variant']:40s} {100 * row['with_punct']['f0.5']:6.2f} "
                       f"{100 * row['no_punct']['f0.5']:8.2f} {row['false_alarms_per_1000_words']:7.2f}{extra}")

    _guard(work)


@app.command("adapt")
def adapt_bench(
    feedback: Annotated[int, typer.Option("--feedback", help="Essays whose suggestions the simulated writer "
                                          "decides on (and whose corrected text are their documents).")] = 15,
    data_root: Annotated[str | None, typer.Option("--data-root", help=DATA_HELP)] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: bundled).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A simulated writer on ZAEBUC dev: F0.5 and false alarms on the essays the adaptation never saw, before
    and after `nahawi adapt` on the first essays' feedback and corrected text; on those essays, the share
    of ignored suggestions no longer made and of accepted ones still made; the time adapt took."""
    from nahawi.bench.adapt import FILES, run_adapt_bench
    from nahawi.bench.quality import resolve_data_root

    def work() -> None:
        root = resolve_data_root(data_root)
        if not (root / FILES["m2"]).is_file():
            typer.echo(f"skipped: ZAEBUC dev is not at {root / FILES['m2']} (set --data-root or NAHAWI_DATA_ROOT)")
            return
        report = run_adapt_bench(root, model, feedback)
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
            return
        _print_adapt(report)

    _guard(work)


def _print_adapt(report: dict) -> None:
    echo = typer.echo
    echo(f"ZAEBUC dev: {report['feedback_essays']} essays of feedback, {report['unseen_essays']} unseen")
    for name in ("before", "after_without_adapter", "after"):
        if name not in report:
            continue
        r = report[name]
        fa = r["false_alarms"]
        label = {"after_without_adapter": "after, tagger adapter off"}.get(name, name)
        echo(f"{label:6s}  unseen F0.5 {_pct(r['with_punct']['f0.5'])} (no punct {_pct(r['no_punct']['f0.5'])})  "
             f"false alarms {fa['edited_words']} words, {fa['per_1000_words']:.2f} per 1,000")
    for decision, row in report["feedback"].items():
        echo(f"feedback essays: {row['suggestions']} {decision}, {_pct(row['share_still_made'])}% still made")
    for decision, row in report.get("feedback_without_adapter", {}).items():
        echo(f"  (tagger adapter off: {_pct(row['share_still_made'])}% of the {decision} still made)")
    echo(f"nahawi adapt took {report['adapt_seconds']:.1f} s")

