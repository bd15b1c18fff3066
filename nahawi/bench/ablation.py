"""What each stage of the pipeline buys: the model directory's pipeline scored whole and with one stage taken
out at a time (the edit tagger, the seq2seq model's shown edits, the lexicon with its spacing, the spacing
alone, the punctuation model), on a dataset's source side (MaxMatch F0.5 with and without punctuation) and on
its corrected side (false alarms per 1,000 words, as `nahawi bench false-alarms` counts them).

A stage the directory lacks or its policy never shows is left out of the table rather than reported as
a zero difference.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from nahawi.bench.false_alarms import CORRECT_SIDES, alarms, count_edited_words
from nahawi.bench.quality import DATASETS, hypothesis, resolve_data_root, score_hypotheses, score_to_dict
from nahawi.errors import InputError
from nahawi.m2.reader import read_lines


@dataclass(frozen=True)
class Variant:
    name: str  # what the row shows
    options: dict  # CorrectorOptions fields changed from the full pipeline's


FULL = Variant("full pipeline", {})
WITHOUT = {
    "tagger": Variant("without the edit tagger", {"tagger": False}),
    "seq2seq": Variant("without the seq2seq model's edits", {"policy_kinds": frozenset()}),
    "lexicon": Variant("without the lexicon (and its spacing)", {"lexicon": False}),
    "spacing": Variant("without the spacing", {"spacing": False}),
    "punctuation": Variant("without the punctuation model", {"punctuation": False}),
}


def _corrector(model_dir: Path | None, variant: Variant):
    from nahawi.engine import Corrector, CorrectorOptions

    options = {key: value for key, value in variant.options.items() if key != "policy_kinds"}
    corrector = Corrector.from_dir(model_dir, device="cpu", options=CorrectorOptions(cache_size=0, **options))
    if "policy_kinds" in variant.options:  # the seq2seq's edits hidden; every other stage as it was
        policy = dataclasses.replace(corrector.stages.policy, kinds=variant.options["policy_kinds"])
        corrector.stages = dataclasses.replace(corrector.stages, policy=policy)
    return corrector


def _applicable(corrector) -> list[str]:
    """The stages this directory runs (the others' rows would repeat the full pipeline's)."""
    stages = corrector.stages
    names = []
    if corrector.tagger is not None:
        names.append("tagger")
    elif stages.policy.kinds is None or stages.policy.kinds:
        names.append("seq2seq")
    if stages.lexicon is not None:
        names.append("lexicon")
        if stages.spacing is not None:
            names.append("spacing")
    if stages.punctuation is not None:
        names.append("punctuation")
    return names


def run_ablation(dataset: str = "qalb14-dev", data_root: str | Path | None = None, model_dir: Path | None = None,
                 limit: int | None = None, log=None) -> dict:
    """Each variant's scores and false alarms, and what the stage it takes out buys (full less variant)."""
    if dataset not in DATASETS or dataset not in CORRECT_SIDES:
        raise InputError(f"ablation needs a dataset with a corrected side: {', '.join(sorted(CORRECT_SIDES))}")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}")
    root, files = resolve_data_root(data_root), DATASETS[dataset]
    sources = read_lines(root / files.source)[:limit]
    corrected = read_lines(root / CORRECT_SIDES[dataset])[:limit]
    words = sum(len(line.split()) for line in corrected)

    full = _corrector(model_dir, FULL)
    variants = [FULL, *(WITHOUT[name] for name in _applicable(full))]
    rows = []
    for variant in variants:
        corrector = full if variant is FULL else _corrector(model_dir, variant)
        hypotheses = [hypothesis(files, c.corrected) for c in corrector.correct_batch(sources)]
        report = score_hypotheses(dataset, hypotheses, root / files.m2, root / files.nopnx_m2, limit)
        alarmed = sum(count_edited_words(c.source, alarms(files, c.edits)) for c in corrector.correct_batch(corrected))
        row = {"variant": variant.name, "with_punct": score_to_dict(report.punct),
               "no_punct": score_to_dict(report.nopunct),
               "false_alarms_per_1000_words": round(1000 * alarmed / max(1, words), 3)}
        rows.append(row)
        if log is not None:
            log(row)
    base = rows[0]
    for row in rows[1:]:
        # the full pipeline less this row: what the stage taken out adds
        row["stage_buys"] = {"with_punct": round(base["with_punct"]["f0.5"] - row["with_punct"]["f0.5"], 4),
                             "no_punct": round(base["no_punct"]["f0.5"] - row["no_punct"]["f0.5"], 4),
                             "false_alarms_per_1000_words": round(base["false_alarms_per_1000_words"]
                                                                  - row["false_alarms_per_1000_words"], 3)}
    return {"dataset": dataset, "documents": len(sources), "words_corrected_side": words,
            "model": str(model_dir or "embedded"), "rows": rows}
