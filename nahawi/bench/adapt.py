"""`nahawi bench adapt`: a simulated writer, to measure what `nahawi adapt` learns.

The first `feedback` essays of ZAEBUC dev are the writer's past: every suggestion the engine makes on an
essay's source is accepted when it writes what the gold correction writes at that place (`judge`), else
ignored, and the essays' corrected text is the writer's documents. The other essays are the writer's
future. Measured before and after `nahawi.profile.adapt.adapt`: MaxMatch F0.5 (with and without
punctuation) on the future essays, false alarms (edited words per 1,000, nahawi.bench.false_alarms) on
their corrected side, and on the past essays the share of ignored suggestions no longer made and of
accepted ones still made; and the time `adapt` took. When a tagger adapter was fitted, "after" is measured
again without it (the rest of the profile applied): what the adapter itself adds. ZAEBUC's essays are by many students: the
adaptation is to a population, the harder case. Reads the data where it lies (research licence).
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
from difflib import SequenceMatcher
from pathlib import Path

from nahawi.bench.false_alarms import alarms, count_edited_words
from nahawi.bench.quality import DATASETS, hypothesis, resolve_data_root, score_to_dict
from nahawi.contract import Edit, apply_edits
from nahawi.errors import InputError
from nahawi.m2.reader import GoldEdit, read_lines, read_m2
from nahawi.m2.scorer import score_corpus
from nahawi.text.punct import strip_punct, tokenize_punct

FILES = {"source": "zaebuc/dev/dev.sent.raw.pnx.tok", "corrected": "zaebuc/dev/dev.sent.cor.pnx.tok",
         "m2": "zaebuc/dev/dev.m2", "nopnx_m2": "zaebuc/dev/dev.nopnx.m2"}


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _token_change(tokens: list[str], text: str, edit: Edit) -> tuple[int, int, list[str]]:
    """The edit as a change of the benchmark tokens: source tokens [a, b) become the returned ones."""
    changed = tokenize_punct(apply_edits(text, [edit])).split()
    ops = [op for op in SequenceMatcher(None, tokens, changed, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops:
        return 0, 0, []
    return ops[0][1], ops[-1][2], changed[ops[0][3]:ops[-1][4]]


def _related(gold: GoldEdit, lo: int, hi: int, a: int, b: int) -> bool:
    if gold.start < hi and lo < gold.end:
        return True
    if gold.start == gold.end:  # a gold insertion: inside the region, or where the suggestion inserts
        return lo < gold.start < hi or a == b == gold.start
    return a == b and gold.start < a < gold.end


def judge(tokens: list[str], gold: tuple[GoldEdit, ...], text: str, edit: Edit) -> bool:
    """Whether the writer accepts `edit` to `text` (whose benchmark tokens are `tokens`): it writes what
    the gold correction writes at that place, i.e. on the tokens the edit and the gold edits it meets
    cover, the edit lies on a shortest way from the source to the gold (d(s, e) + d(e, g) = d(s, g),
    character edit distance), and changes something."""
    a, b, replacement = _token_change(tokens, text, edit)
    lo, hi, chosen = a, b, set()
    while True:
        more = {k for k, g in enumerate(gold) if k not in chosen and _related(g, lo, hi, a, b)}
        if not more:
            break
        chosen |= more
        lo, hi = min([lo, *(gold[k].start for k in more)]), max([hi, *(gold[k].end for k in more)])
    corrected, cursor = [], lo
    for g in sorted((gold[k] for k in chosen), key=lambda g: (g.start, g.end)):
        corrected += tokens[cursor:g.start] + g.corrections[0].split()
        cursor = g.end
    source = " ".join(tokens[lo:hi])
    suggested = " ".join(tokens[lo:a] + replacement + tokens[b:hi])
    target = " ".join(corrected + tokens[cursor:hi])
    return suggested != source and \
        levenshtein(source, suggested) + levenshtein(suggested, target) == levenshtein(source, target)


def _feedback(corrections, sentences) -> list[dict]:
    records = []
    for correction, sentence in zip(corrections, sentences, strict=True):
        gold = sentence.gold_sets()[min(sentence.gold_sets())]
        for e in correction.edits:
            accepted = judge(list(sentence.tokens), gold, correction.source, e)
            records.append({"text": correction.source, "start": e.start, "end": e.end, "replacement": e.replacement,
                            "kind": e.kind, "rule_id": e.rule_id, "decision": "accepted" if accepted else "ignored"})
    return records


def _measure(corrector, sources, corrected, gold, nopnx) -> dict:
    zaebuc = DATASETS["zaebuc-dev"]
    hypotheses = [hypothesis(zaebuc, c.corrected) for c in corrector.correct_batch(sources)]
    clean = [(c.source, alarms(zaebuc, c.edits)) for c in corrector.correct_batch(corrected)]
    words = sum(len(line.split()) for line in corrected)
    edited = sum(count_edited_words(source, edits) for source, edits in clean)
    return {"with_punct": score_to_dict(score_corpus(gold, hypotheses)),
            "no_punct": score_to_dict(score_corpus(nopnx, [strip_punct(h) for h in hypotheses])),
            "false_alarms": {"words": words, "edited_words": edited,
                             "per_1000_words": round(1000 * edited / max(1, words), 3),
                             "edits": [[e.original, e.replacement, e.kind] for _, edits in clean for e in edits]}}


def _still_made(corrector, records: list[dict]) -> dict:
    texts = sorted({r["text"] for r in records})
    made = {(c.source, e.start, e.end, e.replacement) for c in corrector.correct_batch(texts) for e in c.edits}
    out = {}
    for decision in ("accepted", "ignored"):
        mine = [r for r in records if r["decision"] == decision]
        kept = sum((r["text"], r["start"], r["end"], r["replacement"]) in made for r in mine)
        out[decision] = {"suggestions": len(mine), "still_made": kept,
                         "share_still_made": round(kept / len(mine), 4) if mine else None}
    return out


def run_adapt_bench(data_root: str | Path | None = None, model_dir: Path | None = None, feedback: int = 15) -> dict:
    """The simulated writer (see the module docstring); the report as a dict."""
    from nahawi.engine import Corrector
    from nahawi.profile.adapt import adapt
    from nahawi.profile.decisions import decision_from_dict
    from nahawi.profile.store import Profile
    from nahawi.profile.writer import WriterModel

    root = resolve_data_root(data_root)
    missing = [str(root / f) for f in FILES.values() if not (root / f).is_file()]
    if missing:
        raise InputError(f"ZAEBUC dev not found ({missing[0]}); the adapt benchmark needs it")
    sources, corrected = read_lines(root / FILES["source"]), read_lines(root / FILES["corrected"])
    gold, nopnx = read_m2(root / FILES["m2"]), read_m2(root / FILES["nopnx_m2"])
    if not 0 < feedback < len(sources):
        raise InputError(f"--feedback must be from 1 to {len(sources) - 1} essays, got {feedback}")
    corrector = Corrector.from_dir(model_dir, device="cpu")
    future = (sources[feedback:], corrected[feedback:], gold[feedback:], nopnx[feedback:])
    before = _measure(corrector, *future)
    records = _feedback(corrector.correct_batch(sources[:feedback]), gold[:feedback])
    decisions = [decision_from_dict(r, f"simulated feedback {k + 1}") for k, r in enumerate(records)]
    with tempfile.TemporaryDirectory(prefix="nahawi-bench-adapt-") as scratch:
        began = time.perf_counter()
        report = adapt(Profile(Path(scratch) / "profile"), corrector, corrected[:feedback], decisions)
        seconds = time.perf_counter() - began
        after = _measure(corrector, *future)
        still_made = _still_made(corrector, records)
        result = {"dataset": "zaebuc-dev", "feedback_essays": feedback, "unseen_essays": len(sources) - feedback,
                  "adapt_seconds": round(seconds, 2), "learned": report.to_dict(),
                  "before": before, "after": after, "feedback": still_made}
        if report.adapter is not None and report.adapter["fitted"]:  # what the tagger adapter adds, same run
            writer = WriterModel.from_profile(Profile(Path(scratch) / "profile"))
            corrector.adapt_to(dataclasses.replace(writer, adapter=None))
            result["after_without_adapter"] = _measure(corrector, *future)
            result["feedback_without_adapter"] = _still_made(corrector, records)
    return result
