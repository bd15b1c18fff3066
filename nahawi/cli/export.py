"""`nahawi export`: checkpoint (+ LoRA adapter) → verified ONNX model directory.

Thin: parses options and calls `export.exporter.export_model`, which does the work (see its docstring).
torch, onnx and onnxscript come with the `train` extra and are imported inside the command. Progress goes
to standard error; `--json` prints the verification report to standard output. Exit codes: 0 ok,
1 input error (bad option, existing destination without --force), 2 model error (unreadable or unsafe
checkpoint, failed verification).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nahawi.errors import InputError, MissingExtraError, NahawiError

EXIT_OK, EXIT_INPUT, EXIT_MODEL = 0, 1, 2


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
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="Our checkpoint or the original system's "
                                             "(bare state dict or {'model_state_dict': ...}).")],
    out: Annotated[Path, typer.Option("--out", help="Model directory to create.")],
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
) -> None:
    """Export a checkpoint to a self-describing, verified ONNX model directory."""
    try:
        if threads < 1 or verify_dev < 0:
            raise InputError(f"--threads must be >= 1 and --verify-dev >= 0, got {threads} and {verify_dev}")
        _require_train_extra()
        report = run_export(checkpoint, out, lora, lora_alpha, config, tokenizer, precision, force, verify_dev,
                            threads, lexicon, punctuation, lexicon_gate, recipe)
    except InputError as error:
        _fail(EXIT_INPUT, str(error))
    except NahawiError as error:
        _fail(EXIT_MODEL, str(error))
    if json_output:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))


def run_export(checkpoint, out, lora, lora_alpha, config, tokenizer, precision, force, verify_dev, threads,
               lexicon=None, punctuation=None, lexicon_gate=None, recipe=None):
    import torch

    from export.exporter import ExportRequest, export_model

    torch.set_num_threads(threads)
    request = ExportRequest(checkpoint=checkpoint, out=out, lora=lora, lora_alpha=lora_alpha, config=config,
                            tokenizer=tokenizer, precision=precision, force=force, verify_dev=verify_dev,
                            threads=threads, lexicon=lexicon, punctuation=punctuation, lexicon_gate=lexicon_gate,
                            recipe=recipe)
    return export_model(request, log=lambda message: typer.echo(f"nahawi export: {message}", err=True))


def _fail(code: int, message: str) -> None:
    typer.echo(f"nahawi: error: {message}", err=True)
    raise typer.Exit(code)
