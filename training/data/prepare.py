"""The training mix: real pairs (segmented, punctuation kept, upsampled), synthetic and hamza pairs from
the clean corpus (punctuation dropped on both sides), identity pairs, and the QALB-2014 dev set.

Owns `PrepareConfig` and `prepare`, which writes `train.jsonl`, `dev.jsonl`, `manifest.json` and
`prepare_config.json` into one directory. Punctuation is learned from real data only, so every pair made
from the corpus goes through `drop_punct`. Never reads a test split (`readers.guard_not_test`).
Knows nothing about tokenizers or models.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from nahawi.errors import ConfigError, InputError
from training.data.align import SegmentReport, segment_pairs
from training.data.comma_convention import CommaRates
from training.data.corpus_stream import BOOKS, hamza_seat_map, rewrite_words
from training.data.readers import (
    Pair,
    guard_not_test,
    iter_monolingual,
    read_m2_pairs,
    read_qalb_lines,
    read_zaebuc_pairs,
)
from training.data.stats import HAMZA_FOLD, classifier, measure
from training.data.synth import HAMZA_CHARS, OPS, build_error_model, calibrate, corrupt, corrupt_hamza

QALB_TRAIN_M2 = "qalb/2015/train/QALB-2015-L2-Train.m2"
ZAEBUC_ROOT = "zaebuc"
REAL_SETS = ("qalb15", "zaebuc")  # the real train sets: QALB-2015 (L2 learners) and ZAEBUC (native students)
QALB_DEV_SENT = "qalb/2014/dev/QALB-2014-L1-Dev.sent"
QALB_DEV_M2 = "qalb/2014/dev/QALB-2014-L1-Dev.m2"
ORIGINS = ("real", "synth", "hamza", "identity", "punct")
RESTORED_MARKS = ("،", ".", "؟", "!", ":", "؛")  # marks a punctuation-restoration pair teaches (nahawi.tags.MARKS)
_DIACRITIC = re.compile("[\u064b-\u0652]")  # harakat: fathatan .. sukun
_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")  # Arabic presentation forms (legacy encodings)


@dataclass(frozen=True)
class PrepareConfig:
    # clean corpus files under the corpus root
    corpus_files: tuple[str, ...] = ("saudinewsnet.txt.gz", "cca.txt.gz", "mawdoo3_stories.txt.gz")
    corpus_sentences: int = 220_000  # synthetic + hamza + identity pairs (the corpus holds ~250k sentences)
    max_paragraphs: int = 0  # read at most this many paragraphs per corpus file (0 = all)
    news_hamza_seats: bool = True  # the books' Cairo hamza seats (مسئول) rewritten to the news' (مسؤول)
    max_words: int = 60  # word budget per segment (real pairs are cut to it, corpus sentences too)
    min_words: int = 3  # corpus sentences shorter than this are skipped
    seed: int = 1234  # one seed for segmentation order, corruption and shuffling
    real_upsample: int = 4  # each real segment appears this many times in train.jsonl
    real_identity_upsample: int = 0  # each real segment's corrected side as a real identity pair, this many times:
    # QALB-style text, its annotators' marks included, to be left alone (the tagger's false alarms were there)
    real_restoration_upsample: int = 0  # each real segment's corrected side with some of its marks taken out, as a
    # pair that puts them back, this many times: the annotators' comma convention taught on their own text
    real_restoration_drop: float = 0.5  # probability that a mark of such a pair is taken out of its source
    identity_share: float = 0.15  # share of train.jsonl that is clean → clean (punctuation stripped)
    hamza_share: float = 0.15  # share of train.jsonl from the hamza-focused augmentation
    hamza_prob: float = 0.5  # per-word corruption probability of the hamza augmentation
    punct_share: float = 0.0  # share of clean corpus sentences whose marks are to be restored (source: no marks)
    qalb_commas: bool = False  # those targets also get commas before و-words at the rates of the real pairs'
    # corrected side (`comma_convention`): the corpus writes one before ~2% of them, QALB's annotators ~46%
    inflection_errors: bool = False  # synthetic errors also drop a tanween alif, swap a plural's case or a
    # verb's mood (`synth.INFLECTIONS`), judged against word counts of the corpus sentences read
    calibrate_on: tuple[str, ...] = REAL_SETS  # the real train sets whose error kinds and rates the synthetic
    # errors follow: ZAEBUC's native writers alone err like QALB-2014's (hamza, spacing, ta marbuta), QALB-2015's
    # learners mostly rewrite words (morphology and word choice 131 per 1,000 words, ta marbuta 1.2)
    error_rate_scale: float = 0.5  # synthetic errors per word = scale × real rate (real L2 data is dense)
    max_errors: int = 3  # at most this many errors per synthetic sentence (real sentences: mostly 0-3)
    suspect_ratio: float = 10.0  # drop sentences holding a word whose hamza spelling is this much commoner
    spelling_drop_guess: float = 0.1  # expected share of sentences that filter drops (read this many more)
    min_op_share: float = 0.01  # floor on each synthetic operation's share so rare kinds still occur
    calibration_sentences: int = 1500  # pilot sentences used to reweight operations toward the real shares
    calibration_rounds: int = 3  # pilot rounds (0 = use the raw measured weights)
    max_op_share: float = 0.4  # cap on one operation's share (keeps mined confusions from dominating)
    write_dev: bool = True  # write dev.jsonl from QALB-2014 dev

    def __post_init__(self):
        if not 0 <= self.identity_share + self.hamza_share + self.punct_share < 1:
            raise ConfigError("identity_share + hamza_share + punct_share must be in [0, 1)")
        if (self.max_words < 4 or self.real_upsample < 1 or self.corpus_sentences < 0
                or min(self.real_identity_upsample, self.real_restoration_upsample) < 0):
            raise ConfigError("max_words >= 4, real_upsample >= 1, real_identity_upsample >= 0, "
                              "real_restoration_upsample >= 0 and corpus_sentences >= 0 are required")
        if not 0 < self.real_restoration_drop <= 1:
            raise ConfigError("real_restoration_drop must be in (0, 1]")
        if not self.calibrate_on or not set(self.calibrate_on) <= set(REAL_SETS):
            raise ConfigError(f"calibrate_on must name some of {', '.join(REAL_SETS)}, got {list(self.calibrate_on)}")

    @classmethod
    def from_dict(cls, data: dict) -> PrepareConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown PrepareConfig keys: {sorted(unknown)}")
        data = {**data, **{name: tuple(data[name]) for name in ("corpus_files", "calibrate_on") if name in data}}
        return cls(**data)


SMOKE = PrepareConfig(corpus_sentences=2_000, max_paragraphs=1_500, real_upsample=1,
                      calibration_sentences=400)


def resolve_roots(data_root: str | None = None, corpus_root: str | None = None) -> tuple[Path, Path]:
    """Data and corpus roots: explicit value, else NAHAWI_DATA_ROOT / NAHAWI_CORPUS_ROOT, else
    ../shared/data and ../shared/corpus relative to the working directory."""
    data = data_root or os.environ.get("NAHAWI_DATA_ROOT") or "../shared/data"
    corpus = corpus_root or os.environ.get("NAHAWI_CORPUS_ROOT") or "../shared/corpus"
    return Path(data).resolve(), Path(corpus).resolve()


def load_real(data_root: Path, sets: tuple[str, ...] = REAL_SETS) -> list[Pair]:
    """QALB-2015 train (m2 applied, annotator 0) and ZAEBUC train, whole documents (those of `sets`)."""
    readers = {"qalb15": lambda: read_m2_pairs(data_root / QALB_TRAIN_M2),
               "zaebuc": lambda: read_zaebuc_pairs(data_root / ZAEBUC_ROOT, "train")}
    return [pair for name in REAL_SETS if name in sets for pair in readers[name]()]


def main_kind(source: str, target: str) -> str:
    """The most frequent kind among a pair's word-level edits ("none" when unchanged)."""
    stats = measure([(source, target)])
    return stats.kinds.most_common(1)[0][0] if stats.kinds else "none"


def corpus_sentences(corpus_root: Path, config: PrepareConfig, rng: random.Random,
                     skipped: Counter | None = None) -> list[str]:
    """Punctuation-tokenised sentences (cut like inference input) from the clean corpus, shuffled, without
    sentences of unreliable hamza spelling: 10% more than `config.corpus_sentences`, as spares for
    sentences a generator cannot corrupt."""
    from nahawi.text import segment_text, tokenize_punct

    skipped = Counter() if skipped is None else skipped
    wanted = config.corpus_sentences + config.corpus_sentences // 10
    seats = hamza_seat_map(corpus_root) if config.news_hamza_seats else {}
    paragraphs = []  # (paragraph, its word rewrites)
    for name in config.corpus_files:
        mapping = seats if name == BOOKS else {}
        for k, paragraph in enumerate(iter_monolingual(corpus_root / name)):
            if config.max_paragraphs and k >= config.max_paragraphs:
                break
            paragraphs.append((paragraph, mapping))
    rng.shuffle(paragraphs)
    out: list[str] = []  # sentences before the spelling filter
    for paragraph, mapping in paragraphs:
        for segment in segment_text(paragraph, config.max_words):
            sentence = rewrite_words(tokenize_punct(segment.text), mapping)
            n_words = len(sentence.split())
            if n_words < config.min_words:
                skipped["too_short"] += 1
            elif len(_DIACRITIC.findall(sentence)) > 0.3 * n_words:  # fully vowelled verse, not MSA prose
                skipped["diacritised"] += 1
            elif _PRESENTATION.search(sentence):  # nobody types these; they tokenise into bytes
                skipped["presentation_forms"] += 1
            else:
                out.append(sentence)
        if len(out) >= wanted / (1 - config.spelling_drop_guess):
            break
    suspects = hamza_suspects(out, config.suspect_ratio)
    kept = [s for s in out if suspects.isdisjoint(s.split())]
    skipped["unreliable_hamza_spelling"] += len(out) - len(kept)
    return kept[:wanted]


def hamza_suspects(sentences: list[str], ratio: float) -> frozenset[str]:
    """Words the corpus itself spells with more hamza letters at least `ratio` times more often (ان, الى,
    اكثر …): sentences holding them carry the very errors we teach to fix, so they make bad targets."""
    counts = Counter(word for sentence in sentences for word in sentence.split())
    best: dict[str, tuple[int, str]] = {}
    for word, n in counts.items():
        key = word.translate(HAMZA_FOLD)
        if n > best.get(key, (0, ""))[0]:
            best[key] = (n, word)
    suspects = set()
    for word, n in counts.items():
        top_n, top = best[word.translate(HAMZA_FOLD)]
        if top != word and top_n >= ratio * n and _hamzas(top) > _hamzas(word):
            suspects.add(word)
    return frozenset(suspects)


def _hamzas(word: str) -> int:
    return sum(c in HAMZA_CHARS for c in word)


def _quota(weights: dict[str, float], n: int, rng: random.Random) -> list[str]:
    """n operation names in proportion to weights (largest remainders), shuffled: stratification."""
    raw = {op: w * n for op, w in weights.items()}
    counts = {op: int(v) for op, v in raw.items()}
    for op in sorted(raw, key=lambda o: raw[o] - counts[o], reverse=True)[:n - sum(counts.values())]:
        counts[op] += 1
    items = [op for op in sorted(counts) for _ in range(counts[op])]
    rng.shuffle(items)
    return items


def make_corpus_pairs(sentences: list[str], counts: dict[str, int], model, config: PrepareConfig,
                      rng: random.Random, commas: CommaRates | None = None) -> tuple[list[Pair], Counter]:
    """punct, identity, hamza and synth pairs (in that order through the sentence list), punctuation dropped
    on both sides but for the punct pairs' targets (with `commas`, commas are drawn into those before
    و-words, from an rng of their own); synth primaries follow a quota per operation (stratified by kind).
    Returns the pairs and a Counter of sentences skipped by reason."""
    skipped: Counter = Counter()
    pairs: list[Pair] = []
    sentences = iter(sentences)
    comma_rng = random.Random(config.seed + 2)
    while len(pairs) < counts.get("punct", 0) and (sentence := next(sentences, None)) is not None:
        words, target = restoration_pair(sentence)
        if commas is not None:
            target = commas.with_commas(target, comma_rng)
        if not config.min_words <= len(words) <= config.max_words:
            skipped["punct_length"] += 1
        elif len(target) == len(words):
            skipped["punct_no_mark"] += 1
        else:
            pairs.append(Pair(" ".join(words), " ".join(target), "punct", "punctuation"))
    stream = _word_lists(sentences, config.min_words, config.max_words, skipped)
    for words in _take(stream, counts["identity"]):
        text = " ".join(words)
        pairs.append(Pair(text, text, "identity", "none"))
    made = 0
    while made < counts["hamza"] and (words := next(stream, None)) is not None:
        result = corrupt_hamza(words, rng, model, config.hamza_prob)
        if result is None:
            skipped["no_hamza_site"] += 1
            continue
        pairs.append(Pair(result.source, result.target, "hamza", "hamza"))
        made += 1
    primaries = _quota(model.op_weights, counts["synth"], rng)
    while primaries and (words := next(stream, None)) is not None:
        result = _corrupt_with_fallback(words, rng, model, primaries[-1], config)
        if result is None:
            skipped["no_site"] += 1
            continue
        primaries.pop()
        pairs.append(Pair(result.source, result.target, "synth", result.kinds[0]))
    skipped["unused_primaries"] += len(primaries)
    return pairs, skipped


def drop_punct(tokenized: str) -> list[str]:
    """Words of punctuation-tokenised text without punctuation: punctuation tokens are dropped and marks
    left glued to a word's edge (`(21`, kept whole by the tokeniser because a digit follows) are trimmed.
    Unlike the scorer's `strip_punct` this keeps marks inside numbers (`3.5`) and Latin letters whole,
    so pairs stay text a user could type."""
    from nahawi.text import is_punct_char

    words = []
    for token in tokenized.split():
        start, end = 0, len(token)
        while start < end and is_punct_char(token[start]):
            start += 1
        while end > start and is_punct_char(token[end - 1]):
            end -= 1
        if start < end:
            words.append(token[start:end])
    return words


def restoration_pair(tokenized: str) -> tuple[list[str], list[str]]:
    """(words without marks, the same words with the sentence's RESTORED_MARKS after them) of a clean
    punctuation-tokenised sentence: other punctuation (quotes, brackets, dashes) is dropped on both sides, a
    mark that follows no word (a leading or doubled one) too."""
    words = drop_punct(tokenized)
    target: list[str] = []
    k = 0
    for token in tokenized.split():
        if k < len(words) and drop_punct(token) == [words[k]]:
            target.append(words[k])
            k += 1
        elif token in RESTORED_MARKS and target and target[-1] not in RESTORED_MARKS:
            target.append(token)
    return words, target


def real_restoration_pairs(real: list[Pair], config: PrepareConfig) -> list[Pair]:
    """`real_restoration_upsample` pairs per real segment: its corrected side as the target, each of the
    target's RESTORED_MARKS after a word taken out of the source with probability `real_restoration_drop`
    (a draw that takes none out is drawn again, up to four times; a target without such marks gives none).
    An rng of its own, so the corpus pairs stay those of the same seed without them."""
    rng = random.Random(config.seed + 1)
    pairs = []
    for pair in real:
        tokens = pair.target.split()
        sites = [k for k, token in enumerate(tokens)
                 if token in RESTORED_MARKS and k and tokens[k - 1] not in RESTORED_MARKS]
        if not sites:
            continue
        for _ in range(config.real_restoration_upsample):
            for _ in range(4):
                dropped = {k for k in sites if rng.random() < config.real_restoration_drop}
                if dropped:
                    source = " ".join(t for k, t in enumerate(tokens) if k not in dropped)
                    pairs.append(Pair(source, pair.target, "real", "punctuation"))
                    break
    return pairs


def _word_lists(sentences: list[str], min_words: int, max_words: int, skipped: Counter):
    """Words of each sentence with punctuation dropped; too short or long ones are counted and skipped."""
    for sentence in sentences:
        words = drop_punct(sentence)
        if len(words) < min_words:
            skipped["too_short_without_punct"] += 1
        elif len(words) > max_words:
            skipped["too_long_after_tokenising"] += 1
        else:
            yield words


def _take(stream, n: int):
    for _ in range(n):
        item = next(stream, None)
        if item is None:
            return
        yield item


def _corrupt_with_fallback(words, rng, model, primary, config):
    result = corrupt(words, rng, model, primary, config.error_rate_scale, config.max_errors)
    for _ in range(3):
        if result is not None:
            break
        result = corrupt(words, rng, model, None, config.error_rate_scale, config.max_errors)
    return result


def _counts(config: PrepareConfig, n_real: int, n_sentences: int) -> dict[str, int]:
    """Identity, hamza and punctuation restoration as shares of the whole mix; the corpus remainder is
    synthetic."""
    total = n_real + n_sentences
    punct = min(round(config.punct_share * total), n_sentences)
    identity = min(round(config.identity_share * total), n_sentences - punct)
    hamza = min(round(config.hamza_share * total), n_sentences - punct - identity)
    return {"real": n_real, "punct": punct, "identity": identity, "hamza": hamza,
            "synth": max(n_sentences - punct - identity - hamza, 0)}


def read_dev(data_root: Path) -> list[dict]:
    """QALB-2014 dev: `.sent.no_ids` sources (= the M2 S lines), targets from the gold M2 edits."""
    ids = [doc_id for doc_id, _ in read_qalb_lines(data_root / QALB_DEV_SENT)]
    sources = [text for _, text in read_qalb_lines(data_root / (QALB_DEV_SENT + ".no_ids"))]
    gold = read_m2_pairs(data_root / QALB_DEV_M2)
    if not (len(ids) == len(sources) == len(gold)):
        raise InputError("QALB-2014 dev .sent, .sent.no_ids and .m2 disagree on the number of documents")
    for k, (source, pair) in enumerate(zip(sources, gold)):
        if source.split() != pair.source.split():
            raise InputError(f"QALB-2014 dev document {k + 1}: .sent.no_ids differs from the M2 S line")
    return [{"source": s, "target": p.target, "origin": "dev", "kind": "", "id": i}
            for i, s, p in zip(ids, sources, gold)]


def error_model(real, sentences: list[str], config: PrepareConfig):
    """`synth.build_error_model` on the real statistics; with `inflection_errors`, given the word counts of
    the corpus sentences read."""
    counts = Counter(w for s in sentences for w in drop_punct(s)) if config.inflection_errors else None
    return build_error_model(real, config.min_op_share, word_counts=counts)


def calibrated_model(model, sentences: list[str], real, config: PrepareConfig):
    """`synth.calibrate` on the last `calibration_sentences` corpus sentences (the generators consume the
    list from the front; the pilot pairs are thrown away)."""
    if not config.calibration_rounds:
        return model
    pilot = [w for w in (drop_punct(s) for s in sentences[-config.calibration_sentences:])
             if config.min_words <= len(w) <= config.max_words]
    return calibrate(model, pilot, real, config.seed, config.calibration_rounds, config.error_rate_scale,
                     config.max_errors, config.min_op_share, config.max_op_share)


def synth_sample(n: int, config: PrepareConfig, hamza: bool = False, data_root=None, corpus_root=None):
    """(pairs, real stats, generated stats): n corpus sentences corrupted by the synthetic generator
    (or the hamza augmentation), measured with the same procedure as the real data."""
    data, corpus = resolve_roots(data_root and str(data_root), corpus_root and str(corpus_root))
    rng = random.Random(config.seed)
    real = measure(load_real(data, config.calibrate_on))
    sentences = corpus_sentences(corpus, replace(config, corpus_sentences=n), rng)
    model = calibrated_model(error_model(real, sentences, config), sentences, real, config)
    counts = {"identity": 0, "hamza": n if hamza else 0, "synth": 0 if hamza else n}
    pairs, _ = make_corpus_pairs(sentences, counts, model, config, rng)
    return pairs, real, measure(pairs)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_jsonl(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def prepare(out_dir: str | Path, config: PrepareConfig = PrepareConfig(), data_root: str | Path | None = None,
            corpus_root: str | Path | None = None, log=print) -> dict:
    """Build the training mix into out_dir; returns the manifest (also written as manifest.json)."""
    started = time.time()
    data, corpus = resolve_roots(data_root and str(data_root), corpus_root and str(corpus_root))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(config.seed)
    by_set = {name: load_real(data, (name,)) for name in REAL_SETS}
    real_docs = [pair for name in REAL_SETS for pair in by_set[name]]
    stats = measure([pair for name in REAL_SETS if name in config.calibrate_on for pair in by_set[name]])
    report = SegmentReport()
    real, report = segment_pairs(real_docs, config.max_words, report)
    real = [replace(p, kind=main_kind(p.source, p.target)) for p in real]
    log(f"real: {len(real_docs)} documents → {len(real)} segments ({report.as_dict()})")
    filtered: Counter = Counter()
    sentences = corpus_sentences(corpus, config, rng, filtered)
    model = calibrated_model(error_model(stats, sentences, config), sentences, stats, config)
    counts = _counts(config, len(real) * config.real_upsample, config.corpus_sentences)
    commas = CommaRates.measure(p.target for p in real) if config.qalb_commas else None
    if commas is not None:
        log(f"commas before و-words in the real targets: {commas.overall:.3f} of {sum(commas.words.values())}")
    corpus_pairs, skipped = make_corpus_pairs(sentences, counts, model, config, rng, commas)
    skipped.update(filtered)
    log(f"corpus: {len(corpus_pairs)} pairs from {len(sentences)} sentences (skipped {dict(skipped)})")
    records = [_record(p) for p in real for _ in range(config.real_upsample)]
    records += [_record(replace(p, source=p.target, kind="none"))
                for p in real for _ in range(config.real_identity_upsample)]
    records += [_record(p) for p in real_restoration_pairs(real, config)]
    records += [_record(p) for p in corpus_pairs]
    rng.shuffle(records)
    _write_jsonl(out / "train.jsonl", records)
    if config.write_dev:
        _write_jsonl(out / "dev.jsonl", read_dev(data))
    (out / "prepare_config.json").write_text(json.dumps(asdict(config), indent=2, ensure_ascii=False) + "\n")
    manifest = _manifest(out, config, data, corpus, records, report, skipped, stats, model, started)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _record(pair: Pair) -> dict:
    return {"source": pair.source, "target": pair.target, "origin": pair.origin, "kind": pair.kind}


def _input_files(config: PrepareConfig, data: Path, corpus: Path) -> list[Path]:
    files = [data / QALB_TRAIN_M2, data / ZAEBUC_ROOT / "train/train.sent.raw.pnx.tok",
             data / ZAEBUC_ROOT / "train/train.sent.cor.pnx.tok"]
    if config.write_dev:
        files += [data / QALB_DEV_SENT, data / (QALB_DEV_SENT + ".no_ids"), data / QALB_DEV_M2]
    return files + [corpus / name for name in config.corpus_files]


def _manifest(out: Path, config, data, corpus, records, report, skipped, stats, model, started) -> dict:
    by_origin = Counter(r["origin"] for r in records)
    by_kind: dict[str, Counter] = {o: Counter() for o in ORIGINS}
    for r in records:
        by_kind[r["origin"]][r["kind"]] += 1
    outputs = [p for p in (out / "train.jsonl", out / "dev.jsonl", out / "prepare_config.json") if p.exists()]
    return {
        "config": asdict(config),
        "data_root": str(data), "corpus_root": str(corpus),
        "counts": {"train": len(records), "by_origin": dict(by_origin),
                   "by_origin_kind": {o: dict(c.most_common()) for o, c in by_kind.items()}},
        "segmentation": report.as_dict(), "corpus_skipped": dict(skipped),
        "real_stats": stats.summary(), "error_model": model.describe(),
        "classifier": classifier()[1],
        "inputs": {str(guard_not_test(p)): sha256(p) for p in _input_files(config, data, corpus)},
        "outputs": {p.name: sha256(p) for p in outputs},
        "seconds": round(time.time() - started, 1),
    }


__all__ = ["OPS", "SMOKE", "PrepareConfig", "corpus_sentences", "drop_punct", "hamza_suspects", "load_real",
           "prepare", "read_dev", "real_restoration_pairs", "resolve_roots", "synth_sample"]
