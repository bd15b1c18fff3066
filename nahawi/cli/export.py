"""`nahawi export`: checkpoint (+ LoRA adapter) → verified ONNX model directory; `nahawi export tagger`:
edit tagger checkpoint → its graph, tokenizer and tags inside that directory.

Thin: parses options and calls `export.exporter.export_model` or `export.tagger_export.export_tagger`, which
do the work (see their docstrings). `export` is a group whose own options are the seq2seq export's, so
`nahawi export --checkpoint ... --out ...` works as before. torch, onnx and onnxscript come with the `train`
extra and are imported inside the commands. Progress goes to standard error; `--json` prints the
verification report to standard output. Exit codes: 0 ok, 1 input error (bad option, existing destination
or tagger without --force), 2 model error (unreadable or unsafe checkpoint, failed verification).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.core import ParameterSource
from typer._click.exceptions import UsageError

from nahawi.cli import EXIT_INPUT, EXIT_MODEL, fail
from nahawi.errors import InputError, MissingExtraError, NahawiError

app = typer.Typer(no_args_is_help=False)  # the group's options and help are `export`'s (its callback)

CALIBRATION_HELP = ('int8: sentences to calibrate on, one a line, or prepared JSONL (its "source" fields) '
                    "(default: built-in Arabic sentences).")
CALIBRATION_LINES_HELP = "int8: first N sentences of --calibration."


def _require_train_extra() -> None:
    from nahawi.engine.sessions import import_onnxruntime

    for module in ("torch", "onnx", "onnxscript"):
        try:
            __import__(module)
        except ImportError:
            raise MissingExtraError("train", module) from None
    try:
        import_onnxruntime()  # with its telemetry off, before the pipeline loads it
    except ImportError:
        raise MissingExtraError("train", "onnxruntime") from None


def export(
    ctx: typer.Context,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="Our checkpoint or the original system's "
                                                    "(bare state dict or {'model_state_dict': ...}); required.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Model directory to create; required.")] = None,
    lora: Annotated[Path | None, typer.Option("--lora", help="LoRA adapter to merge (ours or the original "
                                              "{'lora_state_dict': ...}).")] = None,
    lora_alpha: Annotated[float | None, typer.Option("--lora-alpha", help="Adapter alpha (default: the "
                                                     "file's, else 2 x rank).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Model config JSON (ours or the original "
                                                "system's) (default: the checkpoint's).")] = None,
    tokenizer: Annotated[Path | None, typer.Option("--tokenizer", help="SentencePiece model (default: the one "
                                                   "the checkpoint's training used).")] = None,
    precision: Annotated[str, typer.Option("--precision", help="fp32, fp16 (CUDA) or int8 (CPU).")] = "fp32",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing model directory.")] = False,
    verify_dev: Annotated[int, typer.Option("--verify-dev", help="fp16/int8: compare dev F0.5 with fp32 on the "
                                            "first N QALB-2014 dev documents (0: off).")] = 0,
    threads: Annotated[int, typer.Option("--threads", help="CPU threads for export and verification.")] = 1,
    json_output: Annotated[bool, typer.Option("--json", help="Print the verification report as JSON.")] = False,
    lexicon: Annotated[Path | None, typer.Option("--lexicon", help="Word counts from `nahawi train lexicon`, "
                                                 "shipped as lexicon.tsv.gz (lexicon stage).")] = None,
    punctuation: Annotated[Path | None, typer.Option("--punctuation", help="Model from `nahawi train "
                                                     "punctuation`, shipped as punctuation.json.gz.")] = None,
    lexicon_gate: Annotated[Path | None, typer.Option("--lexicon-gate", help="Gate from `nahawi train "
                                                      "lexicon-gate`, shipped as lexicon_gate.json.")] = None,
    recipe: Annotated[str | None, typer.Option("--recipe", help="How the inputs were made (a recipe file or "
                                               "script), recorded in model.json.")] = None,
    calibration: Annotated[Path | None, typer.Option("--calibration", help=CALIBRATION_HELP)] = None,
    calibration_lines: Annotated[int, typer.Option("--calibration-lines", help=CALIBRATION_LINES_HELP)] = 512,
) -> None:
    """Export a checkpoint to a self-describing, verified ONNX model directory (`nahawi export tagger --help`:
    add an edit tagger to one)."""
    if not _own_options(ctx, checkpoint, out):
        return

    def work():
        if threads < 1 or verify_dev < 0:
            raise InputError(f"--threads must be >= 1 and --verify-dev >= 0, got {threads} and {verify_dev}")
        _require_train_extra()
        return run_export(checkpoint, out, lora, lora_alpha, config, tokenizer, precision, force, verify_dev,
                          threads, lexicon, punctuation, lexicon_gate, recipe, calibration, calibration_lines)

    _run_reported(work, json_output)


def _run_reported(work: Callable[[], Any], json_output: bool) -> None:
    """Run an export (`work` checks its options, then needs the train extra) and print its verification
    report; an expected failure is one line and its exit code."""
    try:
        report = work()
    except InputError as error:
        _fail(EXIT_INPUT, str(error))
    except NahawiError as error:
        _fail(EXIT_MODEL, str(error))
    if json_output:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))


def _own_options(ctx: typer.Context, checkpoint: Path | None, out: Path | None) -> bool:
    """True when the seq2seq export should run: no subcommand, and the two required options given."""
    if ctx.invoked_subcommand is not None:
        given = [p.opts[0] for p in ctx.command.params
                 if ctx.get_parameter_source(p.name) not in (None, ParameterSource.DEFAULT)]
        if given:
            raise UsageError(f"options before '{ctx.invoked_subcommand}' are the seq2seq export's own "
                             f"({', '.join(given)}); give the {ctx.invoked_subcommand}'s options after its name",
                             ctx=ctx)
        return False
    for name, value in (("--checkpoint", checkpoint), ("--out", out)):
        if value is None:
            raise UsageError(f"Missing option '{name}'.", ctx=ctx)
    return True


def run_export(checkpoint, out, lora, lora_alpha, config, tokenizer, precision, force, verify_dev, threads,
               lexicon=None, punctuation=None, lexicon_gate=None, recipe=None, calibration=None,
               calibration_lines=512):
    import torch

    from export.exporter import ExportRequest, export_model

    torch.set_num_threads(threads)
    request = ExportRequest(checkpoint=checkpoint, out=out, lora=lora, lora_alpha=lora_alpha, config=config,
                            tokenizer=tokenizer, precision=precision, force=force, verify_dev=verify_dev,
                            threads=threads, lexicon=lexicon, punctuation=punctuation, lexicon_gate=lexicon_gate,
                            recipe=recipe, calibration=calibration, calibration_lines=calibration_lines)
    return export_model(request, log=lambda message: typer.echo(f"nahawi export: {message}", err=True))


@app.command("tagger")
def tagger(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="Tagger checkpoint (tagger.pt or a training "
                                             "last.pt from `nahawi train tagger`).")],
    model: Annotated[Path, typer.Option("--model", help="Existing model directory (from `nahawi export`) that "
                                        "receives tagger.onnx, tagger_spm.model and tagger_tags.json.")],
    tokenizer: Annotated[Path | None, typer.Option("--tokenizer", help="SentencePiece model (default: the one "
                                                   "the checkpoint records).")] = None,
    precision: Annotated[str, typer.Option("--precision", help="int8 (static, calibrated; rows independent of "
                                           "their batch) or fp32.")] = "int8",
    force: Annotated[bool, typer.Option("--force", help="Replace a tagger the directory already has.")] = False,
    calibration: Annotated[Path | None, typer.Option("--calibration", help=CALIBRATION_HELP)] = None,
    calibration_lines: Annotated[int, typer.Option("--calibration-lines", help=CALIBRATION_LINES_HELP)] = 512,
    threads: Annotated[int, typer.Option("--threads", help="CPU threads for export and verification.")] = 1,
    tagger_only: Annotated[bool, typer.Option("--tagger-only", help="Remove the seq2seq's graphs from the "
                                              "directory: the tagger proposes every model edit.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the verification report as JSON.")] = False,
) -> None:
    """Export an edit tagger checkpoint into an existing model directory (graph, tokenizer, tags, model.json)."""
    def work():
        if threads < 1:
            raise InputError(f"--threads must be >= 1, got {threads}")
        _require_train_extra()
        return run_tagger_export(checkpoint, model, tokenizer, precision, force, calibration, calibration_lines,
                                 threads, tagger_only)

    _run_reported(work, json_output)


def run_tagger_export(checkpoint, model, tokenizer, precision, force, calibration, calibration_lines, threads,
                      tagger_only=False):
    import torch

    from export.tagger_export import TaggerExportRequest, export_tagger

    torch.set_num_threads(threads)
    request = TaggerExportRequest(checkpoint=checkpoint, model_dir=model, tokenizer=tokenizer, precision=precision,
                                  force=force, calibration=calibration, calibration_lines=calibration_lines,
                                  threads=threads, tagger_only=tagger_only)
    return export_tagger(request, log=lambda message: typer.echo(f"nahawi export tagger: {message}", err=True))


@app.command("stages")
def stages(
    model: Annotated[Path, typer.Option("--model", help="Existing model directory (from `nahawi export`) that "
                                        "receives the files.")],
    lexicon: Annotated[Path | None, typer.Option("--lexicon", help="Word counts from `nahawi train lexicon`, "
                                                 "shipped as lexicon.tsv.gz.")] = None,
    lexicon_gate: Annotated[Path | None, typer.Option("--lexicon-gate", help="Gate from `nahawi train "
                                                      "lexicon-gate` fit on that lexicon.")] = None,
    punctuation: Annotated[Path | None, typer.Option("--punctuation", help="Model from `nahawi train "
                                                     "punctuation`.")] = None,
    recipe: Annotated[str, typer.Option("--recipe", help="How the files were made, recorded in model.json.")] = "",
    json_output: Annotated[bool, typer.Option("--json", help="Print model.json's new `stages` block as JSON.")] = False,
) -> None:
    """Replace the corpus stages (lexicon, lexicon gate, punctuation model) of an existing model directory;
    the graphs stay. Re-tune its policy afterwards (`nahawi train tune-policy --model DIR --write`)."""
    from export.stages_export import StagesExportRequest, export_stages

    def work():
        request = StagesExportRequest(model_dir=model, lexicon=lexicon, lexicon_gate=lexicon_gate,
                                      punctuation=punctuation, recipe=recipe)
        return export_stages(request, log=lambda message: typer.echo(f"nahawi export stages: {message}", err=True))

    _run_reported(work, json_output)


app.callback(invoke_without_command=True)(export)


def _fail(code: int, message: str) -> None:
    raise fail(code, message)
