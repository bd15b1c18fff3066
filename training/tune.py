"""Tune a model directory's edit policy (which model edit kinds to show, minimum confidence) on QALB-2014
dev — never on a test split — and record it in model.json. The model is decoded once; every policy is then
applied offline to the same raw edits, followed by the lexicon stage, and scored with and without punctuation.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

from nahawi.contract import apply_edits
from nahawi.engine.lexicon_stage import EditPolicy, refine

KIND_SETS = {
    "all": None,
    "spelling+punct": frozenset({"hamza", "ta_marbuta", "alif_maqsura", "letter_confusion", "spacing",
                                 "punctuation"}),
    "spelling+punct-no-spacing": frozenset({"hamza", "ta_marbuta", "alif_maqsura", "letter_confusion",
                                            "punctuation"}),
    "punct": frozenset({"punctuation"}),
    "none": frozenset(),
}
CONFIDENCES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95)


def tune_policy(model_dir: Path, data_root: Path, docs: int | None = None, log=print) -> dict:
    from nahawi.engine import Corrector, CorrectorOptions
    from nahawi.lexicon import load_lexicon
    from nahawi.model_dir import LEXICON_FILE
    from training.evaluate import load_qalb14_dev, score_hypotheses

    dev = load_qalb14_dev(data_root, docs or 10**9)
    sources = dev.sources[:dev.limit]
    raw = Corrector.from_dir(model_dir, device="cpu", options=CorrectorOptions(lexicon=False, policy=False))
    corrections = raw.correct_batch(sources)
    lexicon = load_lexicon(model_dir / LEXICON_FILE) if (model_dir / LEXICON_FILE).is_file() else None
    rows = []
    for (name, kinds), confidence, prefer in itertools.product(KIND_SETS.items(), CONFIDENCES, (False, True)):
        if kinds is not None and not kinds and (confidence > 0 or prefer):
            continue  # "none" depends on neither
        policy = EditPolicy(confidence, kinds, prefer)
        hypotheses = [apply_edits(c.source, refine(c.source, c.edits, lexicon, policy)) for c in corrections]
        with_punct = score_hypotheses(hypotheses, dev.m2_path, dev.limit)
        no_punct = score_hypotheses(hypotheses, dev.nopnx_m2_path, dev.limit, no_punct=True)
        rows.append({"kinds": name, "min_confidence": confidence, "prefer_lexicon": prefer,
                     "with_punct": with_punct["f0.5"],
                     "no_punct": no_punct["f0.5"], "p_no_punct": no_punct["precision"],
                     "mean": (with_punct["f0.5"] + no_punct["f0.5"]) / 2})
        log(f"{name:26s} conf >= {confidence:.2f} {'lexicon first' if prefer else 'model first  '}: F0.5 {with_punct['f0.5']:.4f} with punct, "
            f"{no_punct['f0.5']:.4f} without (P {no_punct['precision']:.3f})")
    best = max(rows, key=lambda row: row["mean"])
    kinds = KIND_SETS[best["kinds"]]
    return {"policy": {"min_confidence": best["min_confidence"], "prefer_lexicon": best["prefer_lexicon"],
                       "kinds": None if kinds is None else sorted(kinds),
                       "tuned_on": f"qalb14-dev first {dev.limit} documents", "objective": "mean F0.5",
                       "dev_with_punct": best["with_punct"], "dev_no_punct": best["no_punct"]},
            "grid": rows}


def write_policy(model_dir: Path, policy: dict) -> None:
    path = model_dir / "model.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["policy"] = policy
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
