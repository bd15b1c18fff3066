"""Tune a model directory's policy on QALB-2014 dev — never on a test split — and record it in model.json.

The policy covers every stage after the model: which model edit kinds are shown and from what confidence,
whether the lexicon wins over the model, the lexicon's frequency ratio, and the punctuation model's
threshold. The model is decoded once on the dev source side and once on the dev corrected side; each
setting is then applied offline to those raw edits, scored with and without punctuation (source side) and
charged its false alarms (every edit proposed on the corrected side). Writers hate false alarms, so the
objective is mean F0.5 within `max_false_alarms` per 1,000 words, and a steep charge per false alarm above
it (`value`). The search is coordinate-wise, from the best of the engine's defaults, the directory's own
policy and (with a tagger) that policy with the lexicon winning where both edit a word; a second tagger pass
is then tried on the best setting through the engine itself (`engine_row`).

The learner policy (`tune_learner_policy`) is tuned the same way on learners' text, QALB-2015 dev, under its
own budget, over the model-edit coordinates only: its corpus stages are the policy's (tuned for learners too,
they gained on QALB-2015 dev what they lost on ZAEBUC dev, which they never saw: docs/RESULTS.md).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from nahawi.bench.false_alarms import count_edited_words
from nahawi.contract import Edit, apply_edits
from nahawi.engine.lexicon_stage import EditPolicy
from nahawi.engine.stages import AfterModel
from nahawi.errors import ConfigError
from nahawi.kinds import KIND_GROUPS, KINDS
from nahawi.lexicon import Lexicon, LexiconConfig, lexicon_config
from nahawi.spacing import Spacing
from nahawi.text.segment import Segment

SPELLING = ("hamza", "ta_marbuta", "alif_maqsura", "letter_confusion")
WORDS = frozenset(KINDS) - {"punctuation"}
KIND_SETS = {
    "all": None,
    "words": WORDS,
    "words-but-choice": WORDS - {"word_choice"},
    "morphology+other": frozenset({"morphology", "other"}),
    "spelling+spacing+punct": frozenset({*SPELLING, "spacing", "punctuation"}),
    "spelling+spacing": frozenset({*SPELLING, "spacing"}),
    "spelling": frozenset(SPELLING),
    "none": frozenset(),
}
GRID = {
    "kinds": tuple(KIND_SETS),
    "min_confidence": (0.0, 0.5, 0.7, 0.8, 0.9, 0.95),
    "prefer_lexicon": (False, True),
    "model_fills_gaps": (False, True),
    "context_check": (False, True),
    "lexicon_ratio": (1.5, 3.0, 5.0, 8.0, 12.0, 20.0, 40.0),
    "lexicon_gate": (None, 0.35, 0.4, 0.45, 0.475, 0.5, 0.55, 0.6, 0.65, 0.7),  # None: no gate
    "lexicon_repair": (False, True),
    "lexicon_sure_ratio": (None, 300.0, 1000.0, 3000.0),  # None: the gate vetoes whatever the counts say
    "lexicon_initial_hamza_ratio": (None, 1.5, 4.0, 8.0),  # None: lexicon_ratio (nahawi.lexicon.INITIAL_HAMZA_AFTER)
    "punctuation_threshold": (0.7, 0.75, 0.8, 0.9, 0.95, 0.98, None),  # None: no punctuation stage
    "tagger_word_threshold": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01),  # 1.01: no tagger word edits
    "tagger_mark_threshold": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01),  # 1.01: no tagger marks
    **{f"tagger_{group}": (None, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)  # None: the word threshold
       for group in KIND_GROUPS},
}
TAGGER_GROUP_FIELDS = {f"tagger_{group}": group for group in KIND_GROUPS}  # search coordinates in Setting.tagger_kinds
TAGGER_FIELDS = ("tagger_word_threshold", "tagger_mark_threshold", *TAGGER_GROUP_FIELDS)
MODEL_FIELDS = ("kinds", "min_confidence", "prefer_lexicon", "context_check", "model_fills_gaps")  # the learner's
SEGMENT_FIELDS = (*MODEL_FIELDS, "lexicon_ratio", "lexicon_repair", "lexicon_gate", "lexicon_sure_ratio",
                  "lexicon_initial_hamza_ratio", *TAGGER_FIELDS)  # all but the punctuation stage's
TUNING_SETS = ("qalb14-dev", "qalb15-dev")  # dev splits only; their marks are the engine's (not ZAEBUC's Latin)
LEARNER_BUDGET = 3.0  # false alarms per 1,000 words on QALB-2015 dev's corrected side (the default's own: 2.2)


@dataclass(frozen=True)
class Setting:
    kinds: str = "spelling+spacing"
    min_confidence: float = 0.0
    prefer_lexicon: bool = False
    context_check: bool = False
    model_fills_gaps: bool = False  # the model's edits only where the corpus stages make none
    lexicon_ratio: float = LexiconConfig.ratio
    lexicon_repair: bool = True  # repair words the corpus does not know (nahawi.lexicon.fold_confusable)
    lexicon_gate: float | None = None  # least gate probability of a lexicon suggestion (nahawi.lexicon_gate)
    lexicon_sure_ratio: float | None = None  # a suggestion this much more frequent passes the gate (None: never)
    lexicon_initial_hamza_ratio: float | None = None  # where no bare-alif verb can stand (None: lexicon_ratio)
    punctuation_threshold: float | None = 0.8
    tagger_word_threshold: float = 0.5  # least probability of a shown tagger word edit
    tagger_mark_threshold: float = 0.5  # least probability of a shown tagger mark
    tagger_kinds: tuple[tuple[str, float], ...] = ()  # sorted (kind group, least probability); others: word's
    tagger_passes: int = 1  # 2: a second tagger pass (tried on the search's best, through the engine)

    @classmethod
    def from_policy(cls, policy: dict) -> Setting | None:
        """The setting a written policy was tuned as (tagger edits off where it names no tagger threshold);
        None when its kinds are not one of the tuner's sets."""
        kinds = policy.get("kinds")
        names = [name for name, kind_set in KIND_SETS.items()
                 if (None if kind_set is None else sorted(kind_set)) == (None if kinds is None else sorted(kinds))]
        if not names:
            return None
        groups = policy.get("tagger_kind_thresholds") or {}
        threshold = policy.get("punctuation_threshold") if policy.get("punctuation", True) else None
        return cls(kinds=names[0], min_confidence=float(policy.get("min_confidence", 0.0)),
                   prefer_lexicon=bool(policy.get("prefer_lexicon", False)),
                   context_check=bool(policy.get("context_check", False)),
                   model_fills_gaps=bool(policy.get("model_fills_gaps", False)),
                   lexicon_ratio=float(policy.get("lexicon_ratio") or LexiconConfig.ratio),
                   lexicon_repair=bool(policy.get("lexicon_repair", True)), lexicon_gate=policy.get("lexicon_gate"),
                   lexicon_sure_ratio=policy.get("lexicon_sure_ratio"),
                   lexicon_initial_hamza_ratio=policy.get("lexicon_initial_hamza_ratio"),
                   punctuation_threshold=threshold,
                   tagger_word_threshold=float(policy.get("tagger_word_threshold", 1.01)),
                   tagger_mark_threshold=float(policy.get("tagger_mark_threshold", 1.01)),
                   tagger_kinds=tuple(sorted((group, float(least)) for group, least in groups.items())),
                   tagger_passes=int(policy.get("tagger_passes", 1)))

    def value_of(self, field: str):
        """A search coordinate's value: a field, or `tagger_<group>` (None: the group takes the word threshold)."""
        if field in TAGGER_GROUP_FIELDS:
            return dict(self.tagger_kinds).get(TAGGER_GROUP_FIELDS[field])
        return getattr(self, field)

    def with_value(self, field: str, choice) -> Setting:
        """This setting with one search coordinate moved."""
        if field not in TAGGER_GROUP_FIELDS:
            return dataclasses.replace(self, **{field: choice})
        groups = dict(self.tagger_kinds)
        groups.pop(TAGGER_GROUP_FIELDS[field], None)
        if choice is not None:
            groups[TAGGER_GROUP_FIELDS[field]] = choice
        return dataclasses.replace(self, tagger_kinds=tuple(sorted(groups.items())))

    def tagger_kind_thresholds(self) -> dict[str, float]:
        return dict(self.tagger_kinds)

    def tagger_kinds_shown(self) -> bool:
        """Whether any tagger edit can be shown (a second pass has something to read)."""
        return min(self.tagger_word_threshold, self.tagger_mark_threshold, *dict(self.tagger_kinds).values()) <= 1

    def policy(self) -> dict:
        kinds = KIND_SETS[self.kinds]
        return {"min_confidence": self.min_confidence, "prefer_lexicon": self.prefer_lexicon,
                "context_check": self.context_check, "model_fills_gaps": self.model_fills_gaps,
                "kinds": None if kinds is None else sorted(kinds), "lexicon_ratio": self.lexicon_ratio,
                "lexicon_repair": self.lexicon_repair, "lexicon_gate": self.lexicon_gate,
                "lexicon_sure_ratio": self.lexicon_sure_ratio,
                "lexicon_initial_hamza_ratio": self.lexicon_initial_hamza_ratio,
                "punctuation": self.punctuation_threshold is not None,
                "punctuation_threshold": self.punctuation_threshold,
                "tagger_word_threshold": self.tagger_word_threshold,
                "tagger_mark_threshold": self.tagger_mark_threshold,
                "tagger_kind_thresholds": self.tagger_kind_thresholds(), "tagger_passes": self.tagger_passes}


class Stages:
    """The model directory's lexicon and punctuation model, applied offline to raw model corrections."""

    def __init__(self, model_dir: Path):
        from nahawi.lexicon import load_lexicon
        from nahawi.lexicon_gate import load_gate
        from nahawi.model_dir import GATE_FILE, LEXICON_FILE, PUNCTUATION_FILE
        from nahawi.punctuation import load_punctuation

        lexicon_path, punctuation_path = model_dir / LEXICON_FILE, model_dir / PUNCTUATION_FILE
        self.lexicon = load_lexicon(lexicon_path) if lexicon_path.is_file() else None
        self.gate = load_gate(model_dir / GATE_FILE) if (model_dir / GATE_FILE).is_file() else None
        self.punctuation = load_punctuation(punctuation_path) if punctuation_path.is_file() else None
        self._lexicons: dict[tuple, tuple[Lexicon, Spacing]] = {}
        self._segments: dict[tuple, list] = {}

    def _lexicon(self, setting: Setting) -> tuple[Lexicon | None, Spacing | None]:
        if self.lexicon is None:
            return None, None
        gate = setting.lexicon_gate if self.gate is not None else None
        key = (setting.lexicon_ratio, setting.lexicon_repair, gate, setting.lexicon_sure_ratio,
               setting.lexicon_initial_hamza_ratio)
        if key not in self._lexicons:
            config = lexicon_config({"lexicon_ratio": setting.lexicon_ratio, "lexicon_repair": setting.lexicon_repair,
                                     "lexicon_gate": gate, "lexicon_sure_ratio": setting.lexicon_sure_ratio,
                                     "lexicon_initial_hamza_ratio": setting.lexicon_initial_hamza_ratio})
            lexicon = Lexicon(self.lexicon.counts, config, self.lexicon.bigrams, None if gate is None else self.gate)
            self._lexicons[key] = (lexicon, Spacing(lexicon))
        return self._lexicons[key]

    def after_model(self, setting: Setting) -> AfterModel:
        lexicon, spacing = self._lexicon(setting)
        policy = EditPolicy.from_dict(setting.policy())
        punctuation = self.punctuation if setting.punctuation_threshold is not None else None
        return AfterModel(lexicon, spacing, policy, punctuation, setting.punctuation_threshold)

    def edits(self, documents: list[RawDocument], setting: Setting) -> list[list[Edit]]:
        """Each document's shown edits under `setting`, stage by stage and segment by segment as the engine
        runs them. The segment stages' output is remembered by the fields it depends on: a setting that moves
        only the punctuation threshold reuses it."""
        stages = self.after_model(setting)
        key = (id(documents), *(setting.value_of(name) for name in SEGMENT_FIELDS))
        if key not in self._segments:
            self._segments[key] = [[(segment.start, stages.segment_edits(segment.text, edits))
                                    for segment, edits in d.segments] for d in documents]
        return [stages.document_edits(d.source, segments)
                for d, segments in zip(documents, self._segments[key], strict=True)]


@dataclass(frozen=True)
class RawDocument:
    """A document and its raw model edits (no stage after the model) per engine segment (offsets into the
    segment)."""

    source: str
    segments: tuple[tuple[Segment, tuple[Edit, ...]], ...]


def engine_row(corrector, stages: Stages, dev: DevScorer, sources: list[str], corrected: list[str], words: int,
               setting: Setting) -> dict:
    """A setting scored as `_score` scores it, but through the engine itself with the setting's stages: for what
    raw edits cannot show offline (a second tagger pass reads the text the first pass's shown edits wrote)."""
    corrector.stages = stages.after_model(setting)
    hypotheses = [c.corrected for c in corrector.correct_batch(sources)]
    scores = dev.score(hypotheses)
    with_punct, no_punct = scores["with_punct"], scores["no_punct"]
    alarms = sum(count_edited_words(c.source, c.edits) for c in corrector.correct_batch(corrected))
    return {**dataclasses.asdict(setting), "with_punct": with_punct["f0.5"], "no_punct": no_punct["f0.5"],
            "p_no_punct": no_punct["precision"], "mean": (with_punct["f0.5"] + no_punct["f0.5"]) / 2,
            "false_alarms_per_1000_words": 1000 * alarms / max(1, words)}


class SecondPass:
    """Settings with a second tagger pass, scored through the engine (`engine_row`), opened on first use."""

    def __init__(self, model_dir: Path, stages: Stages, scorer: DevScorer, sources: list[str], corrected: list[str],
                 words: int):
        self.model_dir, self.stages, self.scorer = model_dir, stages, scorer
        self.sources, self.corrected, self.words = sources, corrected, words
        self._engine = None

    def row(self, setting: Setting) -> dict:
        from nahawi.engine import Corrector, CorrectorOptions

        if self._engine is None:
            self._engine = Corrector.from_dir(self.model_dir, device="cpu", options=CorrectorOptions(cache_size=0))
        return engine_row(self._engine, self.stages, self.scorer, self.sources, self.corrected, self.words, setting)


def raw_documents(corrector, texts: list[str]) -> list[RawDocument]:
    """`corrector` must run no stage after the model (CorrectorOptions(lexicon=False, policy=False,
    punctuation=False)); every model edit lies inside the engine segment it was decoded in. The tagger's
    edits are all kept, from its floor up: the settings choose among them."""
    corrector.stages = dataclasses.replace(corrector.stages, policy=EditPolicy(tagger_word_threshold=0.0,
                                                                               tagger_mark_threshold=0.0))
    documents = []
    for correction in corrector.correct_batch(texts):
        segments = []
        for segment in corrector.segments(correction.source):
            inside = [e for e in correction.edits if segment.start <= e.start and e.end <= segment.end]
            segments.append((segment, tuple(dataclasses.replace(e, start=e.start - segment.start,
                                                                 end=e.end - segment.start) for e in inside)))
        documents.append(RawDocument(correction.source, tuple(segments)))
    return documents


class DevScorer:
    """M2 scores of dev hypotheses against gold read once; settings that write the same text share a score."""

    def __init__(self, dev):
        from nahawi.m2.reader import read_m2

        self.gold = read_m2(dev.m2_path)[:dev.limit]
        self.nopnx_gold = read_m2(dev.nopnx_m2_path)[:dev.limit]
        self._seen: dict[tuple[str, ...], dict] = {}

    def score(self, hypotheses: list[str]) -> dict:
        from nahawi.bench.quality import score_to_dict
        from nahawi.m2.scorer import score_corpus
        from nahawi.text.punct import strip_punct, tokenize_punct

        key = tuple(hypotheses)
        if key not in self._seen:
            lines = [tokenize_punct(h) for h in hypotheses]
            self._seen[key] = {
                "with_punct": score_to_dict(score_corpus(self.gold, lines), digits=None),
                "no_punct": score_to_dict(score_corpus(self.nopnx_gold, [strip_punct(h) for h in lines]), digits=None)}
        return self._seen[key]


def _score(stages: Stages, dev: DevScorer, source_raw, corrected_raw, words: int, setting: Setting) -> dict:
    hypotheses = [apply_edits(d.source, tuple(e))
                  for d, e in zip(source_raw, stages.edits(source_raw, setting), strict=True)]
    scores = dev.score(hypotheses)
    with_punct, no_punct = scores["with_punct"], scores["no_punct"]
    alarms = sum(count_edited_words(d.source, e)  # edited words, as `nahawi bench false-alarms` counts them
                 for d, e in zip(corrected_raw, stages.edits(corrected_raw, setting), strict=True))
    return {**dataclasses.asdict(setting), "with_punct": with_punct["f0.5"], "no_punct": no_punct["f0.5"],
            "p_no_punct": no_punct["precision"], "mean": (with_punct["f0.5"] + no_punct["f0.5"]) / 2,
            "false_alarms_per_1000_words": 1000 * alarms / max(1, words)}


OVER_BUDGET_PENALTY = 0.05  # mean F0.5 charged per false alarm / 1,000 words above the budget


def value(row: dict, max_false_alarms: float) -> tuple[bool, float]:
    """(within the budget, mean F0.5 less a steep charge for every false alarm above it): a setting within
    the budget beats every setting outside it, however little outside (2.003 is not "at most 2.0"); among
    those outside, the charge still moves the search towards the budget without giving up all recall."""
    excess = max(0.0, row["false_alarms_per_1000_words"] - max_false_alarms)
    return excess == 0.0, row["mean"] - OVER_BUDGET_PENALTY * excess


def _better(row: dict, best: dict | None, max_false_alarms: float) -> bool:
    return best is None or value(row, max_false_alarms) > value(best, max_false_alarms)


def load_tuning_set(data_root: Path, dataset: str, docs: int | None):
    """(the dev set, its corrected side) of one of TUNING_SETS."""
    from nahawi.bench.false_alarms import CORRECT_SIDES
    from nahawi.bench.quality import DATASETS
    from nahawi.m2.reader import read_lines
    from training.evaluate import DevSet

    if dataset not in TUNING_SETS:
        raise ConfigError(f"policies are tuned on {' or '.join(TUNING_SETS)}, not {dataset!r}")
    spec, root = DATASETS[dataset], Path(data_root)
    sources = read_lines(root / spec.source)
    dev = DevSet(sources=sources, m2_path=root / spec.m2, nopnx_m2_path=root / spec.nopnx_m2,
                 limit=min(docs or 10**9, len(sources)))
    return dev, read_lines(root / CORRECT_SIDES[dataset])[:dev.limit]


def tune_policy(model_dir: Path, data_root: Path, docs: int | None = None, max_false_alarms: float = 2.0,
                rounds: int = 3, log=print, strict_false_alarms: float | None = None, dataset: str = "qalb14-dev",
                fields: tuple[str, ...] | None = None, starts: tuple[dict, ...] = ()) -> dict:
    """The policy within `max_false_alarms` and, with `strict_false_alarms`, a strict policy within that, tuned
    on `dataset` (a dev split) over the search coordinates `fields` (None: all), from the directory's written
    policy and the policy changes in `starts`."""
    from nahawi.engine import Corrector, CorrectorOptions

    dev, corrected = load_tuning_set(data_root, dataset, docs)
    raw = Corrector.from_dir(model_dir, device="cpu",
                             options=CorrectorOptions(lexicon=False, policy=False, punctuation=False))
    source_raw, corrected_raw = raw_documents(raw, dev.sources[:dev.limit]), raw_documents(raw, corrected)
    words = sum(len(line.split()) for line in corrected)
    stages, scorer = Stages(model_dir), DevScorer(dev)
    seen: dict[Setting, dict] = {}

    def evaluate(setting: Setting) -> dict:
        if setting not in seen:
            row = seen[setting] = _score(stages, scorer, source_raw, corrected_raw, words, setting)
            log(f"{json.dumps(dataclasses.asdict(setting))}: F0.5 {row['with_punct']:.4f} with punct, "
                f"{row['no_punct']:.4f} without; {row['false_alarms_per_1000_words']:.2f} false alarms / 1k words")
        return seen[setting]

    grid = {field: values for field, values in GRID.items()
            if field not in ("lexicon_gate", "lexicon_sure_ratio") or stages.gate is not None}
    if raw.tagger is None:
        grid = {field: values for field, values in grid.items() if field not in TAGGER_FIELDS}
    if fields is not None:
        grid = {field: values for field, values in grid.items() if field in fields}

    document = json.loads((Path(model_dir) / "model.json").read_text(encoding="utf-8"))
    written = document.get("policy") or {}
    starts = [dataclasses.replace(start, tagger_passes=1)  # raw edits are one pass; a second is tried last
              for start in (*([Setting()] if fields is None else []),
                            *filter(None, [Setting.from_policy({**written, **change}) for change in ({}, *starts)]))]
    if raw.tagger is not None:  # the lexicon winning where both edit a word changes nothing while the tagger is
        # off, so a greedy search would never turn it on for the tagger's sake: start from it too (ties go to it)
        starts.append(dataclasses.replace(starts[-1], prefer_lexicon=True, context_check=True))
    twice = SecondPass(model_dir, stages, scorer, dev.sources[:dev.limit], corrected, words)

    def search(budget: float, own: tuple[Setting, ...] = ()) -> dict:
        # coordinate search is greedy: it starts from the best of `starts` (a tie goes to the later one), of
        # `own` and of every one-pass setting scored so far, so a new stage (a tagger) never ends below the
        # policy tuned without it, and a start over the budget does not trap the search in the first basin
        # that fits it
        scored = [setting for setting in seen if setting.tagger_passes == 1]
        current = max([*reversed(starts), *own, *scored], key=lambda start: value(evaluate(start), budget))
        best = evaluate(current)
        for _ in range(rounds):
            for field, values in grid.items():
                for choice in values:
                    row = evaluate(current.with_value(field, choice))
                    if _better(row, best, budget):
                        best, current = row, current.with_value(field, choice)
        if raw.tagger is not None and current.tagger_kinds_shown():
            two = dataclasses.replace(current, tagger_passes=2)
            if two not in seen:
                seen[two] = twice.row(two)
                log(f"{json.dumps(dataclasses.asdict(two))}: F0.5 {seen[two]['with_punct']:.4f} with punct, "
                    f"{seen[two]['no_punct']:.4f} without; {seen[two]['false_alarms_per_1000_words']:.2f} false "
                    "alarms / 1k words (through the engine)")
            if _better(seen[two], best, budget):
                best, current = seen[two], two
        return {**current.policy(), "tuned_on": f"{dataset} first {dev.limit} documents (source and corrected side)",
                "objective": f"mean F0.5 with at most {budget} false alarms per 1,000 words",
                "dev_with_punct": best["with_punct"], "dev_no_punct": best["no_punct"],
                "dev_false_alarms_per_1000_words": best["false_alarms_per_1000_words"]}

    # The strict search first: every setting it finds within its budget is within the looser one too, so the
    # default's search starts from the best of them (a directory whose policy is over the budget after new
    # stage files once ended at lexicon ratio 40, 72.71, while the strict search had found 73.54 within it)
    result = {}
    if strict_false_alarms is not None:
        # from the written strict policy too: one coordinate at a time, the default's policy (twice the budget)
        # ended at 1.2 false alarms per 1,000 words, over the strict budget, with lexicon_initial_hamza_ratio
        written_strict = document.get("strict_policy") if fields is None else None
        strict = Setting.from_policy(written_strict) if written_strict else None
        result["strict_policy"] = search(strict_false_alarms, (strict,) if strict is not None else ())
    result["policy"] = search(max_false_alarms)
    return {**result, "grid": list(seen.values())}


def tune_learner_policy(model_dir: Path, data_root: Path, docs: int | None = None,
                        max_false_alarms: float = LEARNER_BUDGET, log=print) -> dict:
    """The learner policy: the written policy's corpus stages as they are, and which of the seq2seq's edits
    to add (kinds, confidence, whether they only fill the corpus stages' gaps), tuned on learners' text
    (QALB-2015 dev) within its own false-alarm budget."""
    learner_start = {"kinds": sorted(WORDS), "min_confidence": 0.7, "model_fills_gaps": True}
    return tune_policy(model_dir, data_root, docs, max_false_alarms, log=log, dataset="qalb15-dev",
                       fields=MODEL_FIELDS, starts=(learner_start,))


def write_policy(model_dir: Path, policy: dict | None, strict_policy: dict | None = None,
                 learner_policy: dict | None = None) -> None:
    path = model_dir / "model.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    if policy is not None:
        document["policy"] = policy
    if strict_policy is not None:
        document["strict_policy"] = strict_policy
    if learner_policy is not None:
        document["learner_policy"] = learner_policy
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
