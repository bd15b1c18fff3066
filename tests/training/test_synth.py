"""Synthetic errors: deterministic, change only what they report, and follow the requested distribution."""
from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import pytest

from training.data.stats import ErrorStats, measure
from training.data.synth import (
    BASE_OPS,
    OP_KIND,
    OPS,
    build_error_model,
    corrupt,
    corrupt_hamza,
    inflected_forms,
)

DATA = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared")) / "data"
needs_data = pytest.mark.skipif(not (DATA / "qalb").exists(), reason=f"shared GEC data not found at {DATA}")

# Hand-written real-like pairs: (erroneous source, clean target).
REAL = [
    ("قال ان الولد ذهب الى المدرسه و كتب الدرس", "قال أن الولد ذهب إلى المدرسة وكتب الدرس"),
    ("اشترى الطالب كتابا فى السوق", "اشترى الطالب كتابا في السوق"),
    ("هذا مسئول كبير لا زال يعمل", "هذا مسؤول كبير لازال يعمل"),
    ("أكد الوزير ان الاقتصاد ينمو بسرعه", "أكد الوزير أن الاقتصاد ينمو بسرعة"),
    ("ذهبت الي البيت و نمت", "ذهبت إلى البيت ونمت"),
    ("إستخدم الناس الهاتف كثيرا", "استخدم الناس الهاتف كثيرا"),
    ("كان الجو حار جدا", "كان الجو حارا جدا"),
]
CLEAN = [
    "أكد الوزير أن الحكومة ستعمل على تطوير التعليم في المدارس الحكومية خلال العام المقبل",
    "وقالت المصادر إن الاجتماع سيعقد في مدينة الرياض بحضور عدد كبير من المسؤولين",
    "ذهب الطالب إلى المكتبة ليقرأ كتابا عن تاريخ المملكة العربية السعودية والخليج",
    "يعد هذا المشروع من أكبر المشاريع التنموية التي تشهدها المنطقة منذ سنوات طويلة",
    "أشار التقرير إلى ارتفاع أسعار النفط بنسبة كبيرة في الأسواق العالمية هذا الأسبوع",
    "والتقى الأمير بالطلاب في القاعة الكبرى وأثنى على جهودهم في تنظيم المؤتمر الأول",
]


@pytest.fixture(scope="module")
def model():
    return build_error_model(measure(REAL))


def _run(model, seed, primary=None):
    rng = random.Random(seed)
    return [corrupt(sentence.split(), rng, model, primary) for sentence in CLEAN for _ in range(5)]


def test_measure_counts_kinds_splits_and_confusions():
    stats = measure(REAL)
    assert stats.kinds["hamza"] >= 5 and stats.kinds["ta_marbuta"] == 2 and stats.kinds["spacing"] >= 3
    assert stats.ops["split"] == 3 and stats.ops["merge"] == 0  # the writer split و كتب, لا زال, و نمت
    assert stats.confusions["إلى"]["الى"] == 1 and stats.words == sum(len(t.split()) for _, t in REAL)
    assert ("hamza", "أ", "ا", "initial") in stats.char_patterns
    assert ("hamza", "أ", "ا", "initial") in measure([("وان", "وأن")]).char_patterns  # after a clitic


def test_corruption_is_deterministic(model):
    assert _run(model, 7) == _run(model, 7)
    assert _run(model, 7) != _run(model, 8)


@pytest.mark.parametrize("op", ["hamza", "ta_marbuta", "alif_maqsura", "letter_confusion", "char_noise"])
def test_one_word_ops_change_exactly_one_word_of_the_reported_kind(model, op):
    rng = random.Random(3)
    for sentence in CLEAN:
        result = corrupt(sentence.split(), rng, model, op, rate_scale=0.0)
        if result is None:
            continue
        src, tgt = result.source.split(), result.target.split()
        assert result.target == sentence and len(src) == len(tgt)
        changed = [(a, b) for a, b in zip(src, tgt) if a != b]
        assert len(changed) == 1 and result.ops == (op,)
        found = measure([(result.source, result.target)]).kinds
        if op != "char_noise":
            assert list(found) == [OP_KIND[op]], (op, changed, found)


@pytest.mark.parametrize("op", ["split", "merge", "word_delete", "word_duplicate"])
def test_word_ops_keep_everything_else(model, op):
    rng = random.Random(5)
    for sentence in CLEAN:
        result = corrupt(sentence.split(), rng, model, op, rate_scale=0.0)
        if result is None:  # e.g. no word with a clitic to split off
            assert op == "split" and not any(w[0] in "وبلفك" and len(w) >= 4 for w in sentence.split())
            continue
        assert result.ops == (op,)
        src, tgt = result.source.split(), result.target.split()
        if op in ("split", "merge"):
            assert "".join(src) == "".join(tgt) and abs(len(src) - len(tgt)) == 1
        elif op == "word_delete":
            assert len(src) == len(tgt) - 1 and not Counter(src) - Counter(tgt)
        else:
            assert len(src) == len(tgt) + 1 and not Counter(tgt) - Counter(src)


def test_error_count_stays_small(model):
    results = [r for r in _run(model, 11) if r is not None]
    assert all(1 <= len(r.kinds) <= 3 for r in results)


def test_primary_operations_follow_the_requested_weights(model):
    rng, drawn = random.Random(1), Counter()
    for k in range(1500):
        result = corrupt(CLEAN[k % len(CLEAN)].split(), rng, model)
        if result is not None:
            drawn[result.ops[0]] += 1
    total = sum(drawn.values())
    distance = sum(abs(drawn[op] / total - weight) for op, weight in model.op_weights.items()) / 2
    assert distance < 0.1, (drawn, model.op_weights)


def test_hamza_augmentation_only_touches_hamza(model):
    rng = random.Random(2)
    results = [corrupt_hamza(s.split(), rng, model, prob=0.6) for s in CLEAN]
    assert any(results)
    stats = measure([(r.source, r.target) for r in results if r])
    assert set(stats.kinds) == {"hamza"} and stats.ops == Counter(substitute=sum(stats.kinds.values()))


def test_no_error_model_weights_are_zero():
    model = build_error_model(ErrorStats())
    assert set(model.op_weights) == set(BASE_OPS) and abs(sum(model.op_weights.values()) - 1) < 1e-9
    counted = build_error_model(ErrorStats(), word_counts={"عام": 9})
    assert set(counted.op_weights) == set(OPS) and abs(sum(counted.op_weights.values()) - 1) < 1e-9


COUNTS = {"عام": 900, "عاما": 120, "سوري": 40, "سوريا": 700, "المسلمين": 300, "المسلمون": 90, "يقتلون": 30,
          "يقتلوا": 25, "موجود": 200, "موجودة": 150, "ليس": 5000, "ليست": 900, "كتابنا": 50, "كتاب": 3000,
          "الدنيا": 400, "الدني": 6}


def test_inflection_errors_are_word_forms_the_corpus_holds():
    forms = lambda word: {form for form, _ in inflected_forms(word, COUNTS)}
    assert forms("عاما") == {"عام"}  # a tanween alif dropped
    assert forms("سوريا") == set()  # سوري is rarer than سوريا: a name, no tanween
    assert forms("كانوا") == {"كانو"}  # the silent alif: the one error that is no word
    assert forms("المسلمون") == {"المسلمين"} and forms("المسلمين") == {"المسلمون"}  # the plural's case
    assert forms("يقتلون") == {"يقتلوا"}  # the verb's mood
    assert forms("موجودة") == set() and forms("ليست") == {"ليس"}  # a verb's ت
    # an adjective's ة only after a feminine noun: agreement, not one noun for another
    assert {form for form, _ in inflected_forms("موجودة", COUNTS, before="المدرسة")} == {"موجود"}
    assert forms("الدين") == set()  # «الدون» is no word
    assert {f for f, _ in inflected_forms("الدين", {"الدين": 90_000, "الدون": 12})} == set()  # another word
    assert forms("كتابنا") == set() and forms("الدنيا") == set()  # a pronoun's alif, a definite word's


def test_inflection_op_changes_one_word_into_a_morphology_error():
    model = build_error_model(measure(REAL), word_counts={**COUNTS, "كثير": 2000, "كثيرا": 600, "المقبل": 50})
    sentences = ["قال إن الناس كانوا يعملون كثيرا في العام الماضي", "المسلمون في سوريا يقتلون كل عام"]
    rng, seen = random.Random(4), 0
    for sentence in sentences * 10:
        result = corrupt(sentence.split(), rng, model, "inflection", rate_scale=0.0)
        assert result is not None and result.ops == ("inflection",) and result.target == sentence
        changed = [(a, b) for a, b in zip(result.source.split(), sentence.split()) if a != b]
        assert len(changed) == 1 and result.kinds == ("morphology",)
        assert set(measure([(result.source, result.target)]).kinds) == {"morphology"}
        seen += 1
    assert seen == 20
    assert corrupt(["ذهب", "الطالب", "إلى", "المدرسة"], rng, model, "inflection", rate_scale=0.0) is None


@needs_data
def test_generated_distribution_is_close_to_real():
    from training.data.prepare import PrepareConfig, synth_sample

    pairs, real, generated = synth_sample(600, PrepareConfig(max_paragraphs=600), data_root=DATA,
                                          corpus_root=DATA.parent / "corpus")
    assert len(pairs) >= 500
    share = {}
    for name, stats in (("real", real), ("generated", generated)):
        errors = sum(v for k, v in stats.kinds.items() if k != "punctuation")
        share[name] = {k: stats.kinds[k] / errors for k in ("hamza", "spacing", "ta_marbuta")}
    for kind in ("hamza", "spacing", "ta_marbuta"):
        assert abs(share["real"][kind] - share["generated"][kind]) < 0.1, (kind, share)
    per_sentence = generated.errors_per_sentence
    assert sum(per_sentence[k] for k in (1, 2, 3)) / sum(per_sentence.values()) > 0.7


@needs_data
def test_errors_calibrated_on_the_native_writers_follow_their_kinds():
    """ZAEBUC's native students misspell (hamza, ta marbuta, spacing) where QALB-2015's learners rewrite words:
    calibrated on ZAEBUC alone, the synthetic errors follow ZAEBUC's shares, not both sets'."""
    from training.data.prepare import PrepareConfig, synth_sample

    def shares(stats):
        errors = sum(v for k, v in stats.kinds.items() if k != "punctuation")
        return {k: stats.kinds[k] / errors for k in ("hamza", "ta_marbuta", "morphology", "word_choice")}

    corpus = DATA.parent / "corpus"
    _, real_both, generated_both = synth_sample(600, PrepareConfig(max_paragraphs=600), data_root=DATA,
                                                corpus_root=corpus)
    _, real_native, generated_native = synth_sample(600, PrepareConfig(max_paragraphs=600, calibrate_on=("zaebuc",)),
                                                    data_root=DATA, corpus_root=corpus)
    both, native = shares(real_both), shares(real_native)
    assert native["ta_marbuta"] > 1.5 * both["ta_marbuta"] and native["word_choice"] < both["word_choice"]
    made_both, made_native = shares(generated_both), shares(generated_native)
    for kind in ("hamza", "ta_marbuta", "word_choice"):
        assert abs(made_native[kind] - native[kind]) < 0.1, (kind, made_native, native)
    assert made_native["ta_marbuta"] > made_both["ta_marbuta"] and made_native["hamza"] > made_both["hamza"]
