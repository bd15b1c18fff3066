"""Quality benchmark: MaxMatch scores of system output on the Arabic GEC test sets, and pair accuracy.

Owns the benchmark protocol around the scorer: which files make up each dataset, the punctuation
tokenisation of system output (`nahawi.text.punct`), the no-punctuation score against the `.nopnx.m2`
golds, the breakdown of recall and precision by error kind (`nahawi.edits.classify_edit` on each gold and
system edit, grouped for the report), and sentence accuracy / false alarms on pair files. The engine is
imported only when a model has to run. Results are frozen dataclasses with a `to_dict` for JSON.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import InputError, NahawiError
from nahawi.m2.reader import M2Sentence, read_lines, read_m2
from nahawi.m2.scorer import Score, score_corpus
from nahawi.text.punct import LATIN_FORM, strip_punct, tokenize_punct

GROUPS = ("hamza", "ta marbuta/ha", "alif maqsura/ya", "letter confusion", "spacing/split/merge",
          "punctuation", "other")
KIND_GROUP = {"hamza": "hamza", "ta_marbuta": "ta marbuta/ha", "alif_maqsura": "alif maqsura/ya",
              "letter_confusion": "letter confusion", "spacing": "spacing/split/merge",
              "punctuation": "punctuation", "morphology": "other", "word_choice": "other", "other": "other"}


@dataclass(frozen=True)
class Dataset:
    source: str  # paths relative to the data root; the source side matches the M2 S lines
    m2: str
    nopnx_m2: str
    # The dataset writes every mark in its Latin form (ZAEBUC's release holds no «،», «؟» or «؛» on either
    # side: 120 «,» in dev's source, 132 in its corrections): output is scored with its marks in that form,
    # as the dataset's own text was made
    latin_marks: bool = False


def in_dataset_marks(dataset: Dataset, text: str) -> str:
    """text with its marks written as `dataset` writes them."""
    return text.translate(LATIN_FORM) if dataset.latin_marks else text


def hypothesis(dataset: Dataset, corrected: str) -> str:
    """A corrected text as the dataset's M2 files read it: its tokenisation, its marks."""
    return in_dataset_marks(dataset, tokenize_punct(corrected))


DATASETS = {
    "qalb14-dev": Dataset("qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids", "qalb/2014/dev/QALB-2014-L1-Dev.m2",
                          "qalb/2014/dev/QALB-2014-L1-Dev.nopnx.m2"),
    "qalb14-test": Dataset("qalb/2014/test/QALB-2014-L1-Test.sent.no_ids",
                           "qalb/2014/test/QALB-2014-L1-Test.m2", "qalb/2014/test/QALB-2014-L1-Test.nopnx.m2"),
    "qalb15-dev": Dataset("qalb/2015/dev/QALB-2015-L2-Dev.sent.no_ids", "qalb/2015/dev/QALB-2015-L2-Dev.m2",
                          "qalb/2015/dev/QALB-2015-L2-Dev.nopnx.m2"),
    "zaebuc-dev": Dataset("zaebuc/dev/dev.sent.raw.pnx.tok", "zaebuc/dev/dev.m2", "zaebuc/dev/dev.nopnx.m2",
                          latin_marks=True),
}


@dataclass(frozen=True)
class KindStat:
    group: str
    gold: int
    gold_found: int  # gold edits the system matched
    proposed: int
    proposed_correct: int  # system edits that match a gold edit

    @property
    def recall(self) -> float | None:
        return self.gold_found / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        return self.proposed_correct / self.proposed if self.proposed else None


@dataclass(frozen=True)
class QualityReport:
    name: str
    sentences: int
    punct: Score | None  # against the gold M2 with punctuation
    nopunct: Score | None  # against the .nopnx.m2 gold, hypothesis stripped of punctuation
    kinds: tuple[KindStat, ...]  # from `punct` when there is one, else from `nopunct`

    def to_dict(self) -> dict:
        return {"name": self.name, "sentences": self.sentences,
                "with_punct": score_to_dict(self.punct), "no_punct": score_to_dict(self.nopunct),
                "kinds": [{"kind": k.group, "gold": k.gold, "gold_found": k.gold_found, "recall": _r(k.recall),
                           "proposed": k.proposed, "proposed_correct": k.proposed_correct,
                           "precision": _r(k.precision)} for k in self.kinds]}


def _r(x: float | None, digits: int | None = 4) -> float | None:
    return x if x is None or digits is None else round(x, digits)


def score_to_dict(score: Score | None, digits: int | None = 4) -> dict | None:
    """Reports round to 4 digits; model selection and tuning keep every digit (digits=None) so ties stay rare."""
    if score is None:
        return None
    return {"precision": _r(score.precision, digits), "recall": _r(score.recall, digits),
            "f0.5": _r(score.f_beta, digits), "correct": score.correct, "proposed": score.proposed,
            "gold": score.gold, "inexact_lines": list(score.inexact_lines)}


def kind_breakdown(score: Score, classify: Callable[[str, str], str] | None = None) -> tuple[KindStat, ...]:
    """Recall and precision per report group; each gold edit is classified by its first correction."""
    if classify is None:
        from nahawi.edits import classify_edit as classify
    counts = {g: [0, 0, 0, 0] for g in GROUPS}
    for sentence in score.sentences:
        for edit, found in zip(sentence.gold_edits, sentence.gold_matched, strict=True):
            row = counts[KIND_GROUP.get(classify(edit.original, edit.corrections[0]), "other")]
            row[0] += 1
            row[1] += found
        for edit in sentence.system_edits:
            row = counts[KIND_GROUP.get(classify(edit.original, edit.correction), "other")]
            row[2] += 1
            row[3] += edit.matched
    return tuple(KindStat(g, *counts[g]) for g in GROUPS)


def frequent_misses(score: Score, top: int, classify: Callable[[str, str], str] | None = None) -> dict:
    """Where the points are: per report group, the `top` commonest gold edits the system missed and system
    edits no gold edit matched, each as [original, correction, times], commonest first."""
    if classify is None:
        from nahawi.edits import classify_edit as classify
    missed = {g: Counter() for g in GROUPS}
    wrong = {g: Counter() for g in GROUPS}
    for sentence in score.sentences:
        for edit, found in zip(sentence.gold_edits, sentence.gold_matched, strict=True):
            if not found:
                change = edit.original, edit.corrections[0]
                missed[KIND_GROUP.get(classify(*change), "other")][change] += 1
        for edit in sentence.system_edits:
            if not edit.matched:
                change = edit.original, edit.correction
                wrong[KIND_GROUP.get(classify(*change), "other")][change] += 1
    return {g: {"missed": [[*change, n] for change, n in missed[g].most_common(top)],
                "wrong": [[*change, n] for change, n in wrong[g].most_common(top)]} for g in GROUPS}


def resolve_data_root(data_root: str | Path | None = None) -> Path:
    """The shared data root: the argument, else NAHAWI_DATA_ROOT, else ../shared/data from here."""
    root = Path(data_root or os.environ.get("NAHAWI_DATA_ROOT") or "../shared/data")
    if not root.is_dir():
        raise InputError(f"data root {root} not found (pass --data-root or set NAHAWI_DATA_ROOT)")
    return root


def _read_gold(path: Path) -> list[M2Sentence]:
    if not path.is_file():
        raise InputError(f"gold M2 file {path} not found")
    return read_m2(path)


def score_hypotheses(name: str, hypotheses: Sequence[str], m2: Path | None, nopnx_m2: Path | None,
                     limit: int | None = None) -> QualityReport:
    """Score tokenised hypothesis lines against the punctuated gold and/or (stripped) the nopnx gold."""
    scores = []
    for gold_path, prepare in ((m2, None), (nopnx_m2, strip_punct)):
        if gold_path is None:
            scores.append(None)
            continue
        gold = _read_gold(gold_path)[:limit]
        lines = [prepare(h) for h in hypotheses] if prepare else list(hypotheses)
        scores.append(score_corpus(gold, lines))
    main = scores[0] or scores[1]
    return QualityReport(name, len(hypotheses), scores[0], scores[1], kind_breakdown(main))


def score_file(hyp: Path, m2: Path, no_punct: bool = False) -> QualityReport:
    """Score a system output file against one gold M2 (with no_punct: strip the hypothesis first)."""
    lines = read_lines(hyp)
    if no_punct:
        return score_hypotheses(hyp.name, lines, None, m2)
    return score_hypotheses(hyp.name, lines, m2, None)


# The seq2seq alone: every edit it makes, no corpus stage, no tagger (issue 19 measures the model so).
SEQ2SEQ_ALONE = dict(lexicon=False, spacing=False, punctuation=False, policy=False, tagger=False)


def correct_lines(texts: list[str], model_dir: Path | None, strict: bool = False,
                  latin_marks: bool = False, learner: bool = False, seq2seq_alone: bool = False,
                  beam: int = 1) -> list[str]:
    """Run the engine on texts (with the model's strict or learner policy, or for a writer of Latin marks, or
    its seq2seq alone, when asked; `beam` for the seq2seq's search); the corrected text of each."""
    try:
        from nahawi.engine import Corrector, CorrectorOptions
    except ImportError as error:
        raise NahawiError(f"the correction engine is not available ({error}); score a hypothesis file "
                          "with --hyp instead") from None
    if seq2seq_alone and (strict or learner):
        raise InputError("--seq2seq-alone shows every edit of the seq2seq: it has no strict or learner policy")
    options = CorrectorOptions(strict=strict, learner=learner, latin_marks=latin_marks,
                               **(SEQ2SEQ_ALONE if seq2seq_alone else {}))
    corrector = Corrector.from_dir(model_dir, device="cpu", options=options)
    return [result.corrected for result in corrector.correct_batch(texts, beam=beam)]


def score_dataset(name: str, data_root: str | Path | None = None, model_dir: Path | None = None,
                  hyp_out: Path | None = None, limit: int | None = None,
                  correct: Callable[[list[str]], list[str]] | None = None, strict: bool = False,
                  latin_marks: bool = False, learner: bool = False, seq2seq_alone: bool = False,
                  beam: int = 1) -> QualityReport:
    """Correct a dataset's source side with the model and score it with and without punctuation.
    `limit` keeps the first documents only; `correct` replaces the engine (texts → corrected texts)."""
    if name not in DATASETS:
        raise InputError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}")
    root, files = resolve_data_root(data_root), DATASETS[name]
    source_path = root / files.source
    if not source_path.is_file():
        raise InputError(f"source file {source_path} not found")
    sources = read_lines(source_path)[:limit]
    corrected = correct(sources) if correct else correct_lines(sources, model_dir, strict, latin_marks, learner,
                                                               seq2seq_alone, beam)
    hypotheses = [hypothesis(files, text) for text in corrected]
    if hyp_out is not None:
        Path(hyp_out).write_text("".join(h + "\n" for h in hypotheses), encoding="utf-8")
    return score_hypotheses(name, hypotheses, root / files.m2, root / files.nopnx_m2, limit)


# --- pair files --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    category: str = "all"


@dataclass(frozen=True)
class PairsReport:
    name: str
    pairs: int
    accuracy: dict[str, tuple[int, int]]  # category -> (sentences fully correct, sentences)
    false_alarms: tuple[int, int]  # (correct sentences the system changed, correct sentences)

    def to_dict(self) -> dict:
        acc = {c: {"correct": k, "total": n, "accuracy": _r(k / n)} for c, (k, n) in self.accuracy.items()}
        changed, clean = self.false_alarms
        return {"name": self.name, "pairs": self.pairs, "accuracy": acc,
                "false_alarms": {"changed": changed, "clean": clean,
                                 "rate": _r(changed / clean) if clean else None}}


def _pair(record, where: str) -> Pair:
    if not isinstance(record, dict) or not isinstance(record.get("source"), str) \
            or not isinstance(record.get("target"), str):
        raise InputError(f"{where}: a pair needs string fields 'source' and 'target'")
    category = record.get("category", "all")
    return Pair(record["source"], record["target"], str(category) if category is not None else "all")


def load_pairs(path: Path) -> list[Pair]:
    """Pairs from JSON lines (one object per line) or a JSON list (or {"pairs": [...]})."""
    lines = read_lines(path)
    if path.suffix == ".json":
        try:
            data = json.loads("\n".join(lines))
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{error.lineno}: invalid JSON ({error.msg})") from None
        records = data.get("pairs") if isinstance(data, dict) else data
        if not isinstance(records, list):
            raise InputError(f"{path}: expected a list of pairs")
        return [_pair(r, f"{path}: pair {i + 1}") for i, r in enumerate(records)]
    pairs = []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            pairs.append(_pair(json.loads(line), f"{path}:{number}"))
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: invalid JSON ({error.msg})") from None
    return pairs


def _same(a: str, b: str) -> bool:
    return a.split() == b.split()


def score_pairs(name: str, pairs: list[Pair], hypotheses: Sequence[str]) -> PairsReport:
    """Sentence accuracy per category (hypothesis == target up to whitespace) and the false-alarm rate
    on pairs whose source is already correct."""
    if len(hypotheses) != len(pairs):
        raise InputError(f"the hypothesis has {len(hypotheses)} lines but there are {len(pairs)} pairs")
    accuracy: dict[str, list[int]] = {}
    changed = clean = 0
    for pair, hyp in zip(pairs, hypotheses, strict=True):
        for category in (pair.category, "all") if pair.category != "all" else ("all",):
            row = accuracy.setdefault(category, [0, 0])
            row[0] += _same(hyp, pair.target)
            row[1] += 1
        if _same(pair.source, pair.target):
            clean += 1
            changed += not _same(hyp, pair.source)
    ordered = {c: tuple(v) for c, v in sorted(accuracy.items(), key=lambda kv: (kv[0] == "all", kv[0]))}
    return PairsReport(name, len(pairs), ordered, (changed, clean))


def run_pairs(path: Path, hyp: Path | None = None, model_dir: Path | None = None) -> PairsReport:
    """Score a pair file: with `hyp`, a precomputed hypothesis per pair; else the model's output."""
    pairs = load_pairs(path)
    hypotheses = read_lines(hyp) if hyp is not None else correct_lines([p.source for p in pairs], model_dir)
    return score_pairs(path.name, pairs, hypotheses)
