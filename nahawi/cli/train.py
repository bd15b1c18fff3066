"""`nahawi train …`: data preparation and tokenizer commands (model-training commands are added to the
same `app` by the trainer module). Thin: options are parsed here and the work is done in `training`.
None of these commands needs torch.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

DATA_HELP = "GEC data root [env NAHAWI_DATA_ROOT, default ../shared/data]"
CORPUS_HELP = "clean corpus root [env NAHAWI_CORPUS_ROOT, default ../shared/corpus]"
app = typer.Typer(help="Training data, tokenizer and model training.", no_args_is_help=True)


@app.command()
def prepare(
    out: Annotated[Path, typer.Option("--out", help="output directory (train.jsonl, dev.jsonl, manifest)")],
    data_root: Annotated[str | None, typer.Option(help=DATA_HELP)] = None,
    corpus_root: Annotated[str | None, typer.Option(help=CORPUS_HELP)] = None,
    config: Annotated[Path | None, typer.Option(help="JSON file of PrepareConfig fields to override")] = None,
    corpus_sentences: Annotated[int | None, typer.Option(help="clean corpus sentences to use")] = None,
    max_words: Annotated[int | None, typer.Option(help="word budget per segment")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed")] = None,
    real_upsample: Annotated[int | None, typer.Option(help="copies of each real segment")] = None,
    identity_share: Annotated[float | None, typer.Option(help="share of identity pairs")] = None,
    hamza_share: Annotated[float | None, typer.Option(help="share of hamza-augmentation pairs")] = None,
    smoke: Annotated[bool, typer.Option("--smoke", help="tiny dataset in seconds (CI)")] = False,
) -> None:
    """Build the training mix (real + synthetic + hamza + identity) and the QALB-2014 dev set."""
    from dataclasses import asdict

    from training.data.prepare import SMOKE, PrepareConfig
    from training.data.prepare import prepare as run_prepare

    base = asdict(SMOKE if smoke else PrepareConfig())
    if config is not None:
        base.update(json.loads(config.read_text(encoding="utf-8")))
    overrides = {"corpus_sentences": corpus_sentences, "max_words": max_words, "seed": seed,
                 "real_upsample": real_upsample, "identity_share": identity_share, "hamza_share": hamza_share}
    base.update({k: v for k, v in overrides.items() if v is not None})
    manifest = run_prepare(out, PrepareConfig.from_dict(base), data_root, corpus_root)
    typer.echo(json.dumps({"out": str(out), "train": manifest["counts"]["train"],
                           "by_origin": manifest["counts"]["by_origin"], "seconds": manifest["seconds"]},
                          ensure_ascii=False))


@app.command()
def tokenizer(
    data: Annotated[Path, typer.Option("--data", help="prepared data directory (reads train.jsonl)")],
    out: Annotated[Path | None, typer.Option("--out", help="path ending in .model [DATA/spm.model]")] = None,
    vocab_size: Annotated[int, typer.Option(help="vocabulary size (16000 small, 32000 base)")] = 16000,
    corpus_root: Annotated[str | None, typer.Option(help=CORPUS_HELP)] = None,
    corpus_lines: Annotated[int | None, typer.Option(help="clean paragraphs sampled for training")] = None,
) -> None:
    """Train the SentencePiece tokenizer (pad 0, unk 1, bos 2, eos 3; exact round trip)."""
    from training.data.prepare import PrepareConfig, resolve_roots
    from training.tokenizer import TokenizerConfig, train_tokenizer

    _, corpus = resolve_roots(None, corpus_root)
    files = [corpus / name for name in PrepareConfig().corpus_files if (corpus / name).exists()]
    config = TokenizerConfig(vocab_size=vocab_size)
    if corpus_lines is not None:
        config = TokenizerConfig(vocab_size=vocab_size, corpus_lines=corpus_lines)
    summary = train_tokenizer(data, out or data / "spm.model", config, files)
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command()
def synth(
    n: Annotated[int, typer.Option(help="clean corpus sentences to corrupt")] = 2000,
    seed: Annotated[int, typer.Option(help="random seed")] = 1234,
    hamza: Annotated[bool, typer.Option("--hamza", help="use the hamza-focused augmentation")] = False,
    stats: Annotated[bool, typer.Option("--stats", help="print generated vs real error kinds")] = False,
    out: Annotated[Path | None, typer.Option(help="write the pairs as JSONL here")] = None,
    show: Annotated[int, typer.Option(help="print this many example pairs")] = 5,
    data_root: Annotated[str | None, typer.Option(help=DATA_HELP)] = None,
    corpus_root: Annotated[str | None, typer.Option(help=CORPUS_HELP)] = None,
) -> None:
    """Generate synthetic pairs calibrated on real error statistics (QALB-2015 train + ZAEBUC train)."""
    from training.data.prepare import PrepareConfig, synth_sample

    started = time.time()
    config = PrepareConfig(seed=seed, max_paragraphs=max(2 * n, 1000))
    pairs, real, generated = synth_sample(n, config, hamza, data_root, corpus_root)
    if out is not None:
        with open(out, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps({"source": p.source, "target": p.target, "origin": p.origin,
                                          "kind": p.kind}, ensure_ascii=False) + "\n" for p in pairs)
    for p in pairs[:show]:
        typer.echo(f"[{p.kind}]\n  src: {p.source}\n  tgt: {p.target}")
    if stats:
        _print_stats(real, generated)
    typer.echo(f"{len(pairs)} pairs in {time.time() - started:.1f} s")


def _print_stats(real, generated) -> None:
    from rich.console import Console
    from rich.table import Table

    from nahawi.kinds import KIND_IDS

    def shares(s):
        errors = sum(v for k, v in s.kinds.items() if k != "punctuation") or 1
        return {k: s.kinds[k] / errors for k in KIND_IDS}

    real_share, gen_share = shares(real), shares(generated)
    table = Table(title="Error kinds: real (QALB-2015 train + ZAEBUC train) vs generated")
    for column in ("kind", "real /1k words", "real share*", "generated /1k words", "generated share*"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind in KIND_IDS:
        table.add_row(kind, f"{1000 * real.rate(kind):.1f}", f"{100 * real_share[kind]:.1f}%",
                      f"{1000 * generated.rate(kind):.1f}", f"{100 * gen_share[kind]:.1f}%")
    console = Console()
    console.print(table)
    console.print("* share of non-punctuation edits (generated pairs carry no punctuation).")
    per = Table(title="Errors (non-punctuation) per sentence, generated")
    for column in ("0", "1", "2", "3", "4+"):
        per.add_column(column, justify="right")
    counts = generated.errors_per_sentence
    total = sum(counts.values()) or 1
    row = [counts[0], counts[1], counts[2], counts[3], sum(v for k, v in counts.items() if k >= 4)]
    per.add_row(*(f"{100 * v / total:.1f}%" for v in row))
    console.print(per)
