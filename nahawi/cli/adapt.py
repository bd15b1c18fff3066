"""`nahawi adapt`: learn a writer's profile from their documents and decisions. Thin: options are parsed
here, the work is `nahawi.profile.adapt`; the engine is imported inside the command.

Exit codes as in `nahawi correct` (`nahawi.cli.EXIT_CODES`): 0 ok, 1 input error (a bad feedback line, a
missing document, a profile file that cannot be read or written: the message names the file and line),
2 model error, 4 usage error.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nahawi.cli import EXIT_USAGE, exit_code, fail
from nahawi.errors import InputError, NahawiError

HELP = """Learn from a writer: their documents (their own clean writing, .txt or .md) and their decisions
(the profile's log and a --feedback file: one JSON object a line, {"text", "start", "end", "replacement",
"kind", "decision": "accepted" | "ignored"}, code-point offsets as `nahawi correct --format json` gives
them). Prints what was learned and keeps it in the profile; `nahawi correct --profile DIR` uses it. The
profile's files are described in docs/profile.md."""
SHOWN = 12  # new words and weights printed


def adapt(
    more: Annotated[list[Path] | None, typer.Argument(help="More documents: --documents A.txt B.md … takes "
                                                       "every file named after it.", metavar="[FILE]...",
                                                       show_default=False)] = None,
    profile: Annotated[Path | None, typer.Option("--profile", help="Profile folder [NAHAWI_PROFILE, else "
                                                 "$XDG_DATA_HOME/nahawi/profile].")] = None,
    documents: Annotated[list[Path] | None, typer.Option("--documents", metavar="FILE", help="The writer's "
                                                          "own clean writing, .txt or .md.")] = None,
    feedback: Annotated[list[Path] | None, typer.Option("--feedback", metavar="FILE.jsonl",
                                                         help="Decisions, JSON lines (repeatable).")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="First forget what was learned and the decisions "
                                        "log (the dictionary stays).")] = False,
    record: Annotated[bool | None, typer.Option("--record-decisions/--no-record-decisions", help="Turn "
                                                "recording the writer's decisions on or off for the app, the "
                                                "language server and adapt (the profile's settings.json).",
                                                show_default=False)] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: bundled).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    from nahawi.profile import Profile, read_decisions
    from nahawi.profile.adapt import read_documents

    if more and not documents:
        raise fail(EXIT_USAGE, f"{more[0]}: documents follow --documents (nahawi adapt --documents A.txt B.md)")
    try:
        store = Profile(profile)
        decisions = []
        for path in feedback or []:
            if not path.is_file():
                raise InputError(f"{path}: no such feedback file")
            decisions += read_decisions(path)
        texts = read_documents([*(documents or []), *(more or [])])
        if record is not None:
            store.set_records_decisions(record)
        removed = store.reset() if reset else []
        if reset and not as_json:
            typer.echo(f"forgot: {', '.join(removed) or 'nothing (the profile had learned nothing)'}")
        if record is not None and not as_json:
            typer.echo(f"recording decisions: {'on' if record else 'off'}")
        if not texts and not decisions and (reset or record is not None):
            if as_json:
                typer.echo(json.dumps({"profile": str(store.path), "reset": removed,
                                       "decisions_recorded": store.records_decisions()}, ensure_ascii=False))
            return
        report = _learn(store, model, texts, decisions)
    except NahawiError as error:
        raise fail(exit_code(error), str(error)) from None
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "reset": removed}, ensure_ascii=False))
    else:
        _print(report)


def _learn(store, model, texts, decisions):
    from nahawi.engine import Corrector
    from nahawi.profile.adapt import adapt as learn

    if not texts and not decisions and not store.file("decisions.jsonl").is_file():
        raise InputError("nothing to learn from: give --documents or --feedback (the profile has no decisions)")
    return learn(store, Corrector.from_dir(model, device="cpu"), texts, decisions)


def _top(weights: dict, count: int = SHOWN) -> str:
    ranked = sorted(weights.items(), key=lambda kv: (kv[1], kv[0]))[:count]
    return ", ".join(f"{name} {value:+.2f}" for name, value in ranked) or "none"


def _adapter_line(fitting: dict | None) -> str:
    if fitting is None:
        return "none (the model has no tagger whose states it can adapt)"
    if not fitting["fitted"]:
        return "none (no decision touched a word the tagger reads; an older one was removed)"
    loss = fitting["loss"].get("word") or fitting["loss"].get("mark") or {}
    return (f"{fitting['steps']} steps on {fitting['word_decided']} words and {fitting['mark_decided']} marks "
            f"decided, loss {loss.get('before', 0):.3f} → {loss.get('after', 0):.3f}, {fitting['seconds']:.1f} s")


def _print(report) -> None:
    learned, echo = report.learned, typer.echo
    summary = learned.get("summary", {})
    echo(f"profile: {report.profile}")
    echo(f"decisions: {summary.get('decisions', 0)} ({summary.get('accepted', 0)} accepted, "
         f"{summary.get('ignored', 0)} ignored)")
    shown = " ".join(report.new_words[:SHOWN]) + (" …" if len(report.new_words) > SHOWN else "")
    echo(f"words: {len(report.new_words)} new, {report.words} in all{': ' + shown if shown else ''}")
    echo(f"word pairs: {report.pairs}")
    thresholds = learned.get("thresholds", {})
    echo("per-kind thresholds: " + (", ".join(f"{k} {v:.3f}" for k, v in sorted(thresholds.items())) or "as shipped"))
    echo(f"lexicon gate weights: {_top(learned.get('gate', {}))}")
    marks = {f"{name} → {label}": v for name, row in learned.get("punctuation", {}).items() for label, v in row.items()}
    echo(f"punctuation weights: {_top(marks)}")
    echo(f"suppressed: {len(learned.get('suppressed_pairs', []))} word pairs everywhere, "
         f"{len(learned.get('suppressed_contexts', []))} suggestions in their context")
    if not report.recorded:
        echo("decisions log: off (the new decisions were learned from, not kept)")
    echo(f"tagger adapter: {_adapter_line(report.adapter)}")
    echo(f"took {report.seconds:.1f} s")

