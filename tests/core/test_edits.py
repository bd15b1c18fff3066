"""Edit extraction (align → merge → classify): exact for any strings, word-level, and sensibly named."""
import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nahawi.contract import apply_edits
from nahawi.edits import align_tokens, classify_edit, diff_to_edits, merge_ops
from nahawi.edits.align import DELETE, INSERT, MATCH, SUB
from nahawi.kinds import KINDS
from nahawi.text.punct import is_punct_char

QALB_DEV = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2].parent / "shared")) / "data/qalb/2014/dev/QALB-2014-L1-Dev.m2"

ARABIC = st.text(alphabet="ابتدذرسصضطظعفقكلمنهويءأإآؤئةى ،.؟«»\n\t\u064e\u0640😀3", max_size=50)
WORDS = st.lists(st.sampled_from(["ذهب", "الولد", "الى", "إلى", "المدرسه", "المدرسة", "و", "،", ".", "لو",
                                  "كان", "لوكان", "في", "البيت", "  ", "\t"]), max_size=12)


def _show(source, corrected):
    return [(e.original, e.replacement, e.kind) for e in diff_to_edits(source, corrected)]


def _check(source, corrected):
    edits = diff_to_edits(source, corrected)
    assert apply_edits(source, edits) == corrected
    cursor = 0
    for edit in edits:
        assert cursor <= edit.start <= edit.end <= len(source)
        assert edit.original == source[edit.start:edit.end] and edit.original != edit.replacement
        assert edit.kind in KINDS and edit.rule_id == "model"
        cursor = edit.end
    starts = [(e.start, e.end) for e in edits]
    assert len(set(starts)) == len(starts)  # no two edits at the same place
    return edits


@settings(deadline=None, max_examples=150)
@given(st.text(max_size=40), st.text(max_size=40))
def test_edits_rebuild_the_correction_exactly_for_any_unicode(source, corrected):
    _check(source, corrected)


@settings(deadline=None, max_examples=150)
@given(ARABIC, ARABIC)
def test_edits_rebuild_the_correction_exactly_for_arabic_text(source, corrected):
    _check(source, corrected)


@settings(deadline=None, max_examples=150)
@given(WORDS, WORDS, st.sampled_from([" ", "  ", "\t"]))
def test_edits_rebuild_the_correction_exactly_for_word_sequences(src_words, cor_words, sep):
    _check(sep.join(src_words), " ".join(cor_words))


@given(st.one_of(st.text(max_size=40), ARABIC))
def test_no_change_gives_no_edit_and_no_edit_gives_the_input(text):
    assert diff_to_edits(text, text) == ()
    assert apply_edits(text, ()) == text


def test_word_edits_leave_the_users_whitespace_alone():
    source = "ذهب\tالولد  الى المدرسه"
    assert _show(source, "ذهب\tالولد  إلى المدرسة") == [("الى", "إلى", "hamza"),
                                                       ("المدرسه", "المدرسة", "ta_marbuta")]


def test_deleted_word_takes_one_space_and_inserted_word_brings_one():
    assert _show("ذهب الولد الولد إلى", "ذهب الولد إلى") == [(" الولد", "", "word_choice")]
    assert _show("ذهب إلى", "ذهب الولد إلى") == [("", " الولد", "word_choice")]
    assert _show("الولد ذهب", "ذهب") == [("الولد ", "", "word_choice")]


def test_split_and_merge_are_one_spacing_edit():
    assert _show("لوكان بشار", "لو كان بشار") == [("لوكان", "لو كان", "spacing")]
    assert _show("ذهبت و اشتريت", "ذهبت واشتريت") == [("و اشتريت", "واشتريت", "spacing")]
    assert _show("النصر انشاء الله", "النصر إن شاء الله") == [("انشاء", "إن شاء", "spacing")]


def test_detached_clitic_joins_the_changed_word_it_belongs_to():
    assert _show("و الكتب جميلة", "والكتاب جميلة") == [("و الكتب", "والكتاب", "spacing")]


def test_word_edit_followed_by_punctuation_insertion_stays_separate():
    assert _show("علامات الانبياء ثم", "علامات الأنبياء ، ثم") == [
        ("الانبياء", "الأنبياء", "hamza"), ("", " ،", "punctuation")]


def test_spacing_window_does_not_swallow_preceding_orthographic_fix():
    assert _show("اذا كا ن هذا", "إذا كان هذا") == [("اذا", "إذا", "hamza"), ("كا ن", "كان", "spacing")]


def test_inserted_comma_before_a_detached_clitic_does_not_break_the_merge():
    assert _show("قالوا و يمدوون", "قالوا ، ويمدون") == [("", " ،", "punctuation"),
                                                        ("و يمدوون", "ويمدون", "spacing")]


def test_near_split_with_a_spelling_fix_is_one_edit():
    assert _show("جاء لبلدالذي نحب", "جاء البلد الذي نحب") == [("لبلدالذي", "البلد الذي", "spacing")]


def test_whitespace_only_changes_between_unchanged_tokens_are_spacing_edits():
    assert _show("كلمه ،كلمة", "كلمة، كلمة") == [("كلمه", "كلمة", "ta_marbuta"), (" ", "", "spacing"),
                                                ("", " ", "spacing")]


def test_align_tokens_covers_every_token_in_order():
    src, cor = ["ذهب", "الولد", "الى", "المدرسه"], ["ذهب", "إلى", "المدرسة", "اليوم"]
    ops = align_tokens(src, cor)
    assert [op.tag for op in ops] == [MATCH, DELETE, SUB, SUB, INSERT]
    assert [op.i for op in ops if op.tag != INSERT] == [0, 1, 2, 3]
    assert [op.j for op in ops if op.tag != DELETE] == [0, 1, 2, 3]


def test_align_tokens_handles_long_documents_by_anchoring():
    src = [f"كلمة{k}" for k in range(400)]
    cor = [*src[:100], "جديدة", *src[100:250], *src[251:]]
    ops = align_tokens(src, cor)
    assert [(op.tag, op.i, op.j) for op in ops if op.tag != MATCH] == [(INSERT, 100, 100), (DELETE, 250, 251)]


def test_merge_ops_groups_consecutive_deleted_words():
    src, cor = ["أ", "ب", "ج", "د"], ["أ", "د"]
    groups = merge_ops(align_tokens(src, cor), src, cor)
    assert [(g.i1, g.i2, g.j1, g.j2) for g in groups] == [(1, 3, 1, 1)]


@pytest.mark.parametrize(("original", "replacement", "kind"), [
    ("الى", "إلى", "hamza"), ("ان", "أن", "hamza"), ("الرءساء", "الرؤساء", "hamza"), ("شي", "شيء", "hamza"),
    ("هاؤلاء", "هؤلاء", "hamza"), ("مسوول", "مسؤول", "hamza"), ("أثنان", "اثنان", "hamza"),
    ("المدرسه", "المدرسة", "ta_marbuta"), ("رفضة", "رفضت", "ta_marbuta"),
    ("فى", "في", "alif_maqsura"), ("علي", "على", "alif_maqsura"), ("وعلى", "وعلا", "alif_maqsura"),
    ("ليضهر", "ليظهر", "letter_confusion"), ("الدي", "الذي", "letter_confusion"),
    ("الكدب", "الكذب", "letter_confusion"), ("وينذذ", "ويندد", "letter_confusion"),
    ("لوكان", "لو كان", "spacing"), ("و الله", "والله", "spacing"), ("لاتعلمو", "لا تعلمون", "spacing"),
    ("كلمة ،", "كلمة،", "spacing"), (" ", "", "spacing"),
    ("،", ".", "punctuation"), ("", "،", "punctuation"), ("؟", "", "punctuation"),
    ("لكن .", ". لكن", "punctuation"), ("كلمة", "كلمة ،", "punctuation"),
    ("المسلمون", "المسلمين", "morphology"), ("تنصر", "تنصروا", "morphology"), ("شتانا", "شتان", "morphology"),
    ("يكتب", "تكتب", "morphology"), ("عام", "عاما", "morphology"),
    ("", "الولد", "word_choice"), ("الولد", "", "word_choice"), ("زي", "مثل", "word_choice"),
    ("دا", "هذا", "word_choice"),
    ("اللذي", "الذى", "other"), ("افغنستان", "أفغانستان", "other"), ("شكرا", "شكراً", "other"),
])
def test_classify_edit_on_arabic_examples(original, replacement, kind):
    assert classify_edit(original, replacement) == kind


def test_classify_edit_multi_word_takes_the_first_changed_word():
    assert classify_edit("الى المدرسه", "إلى المدرسة") == "hamza"


def _gold_edits(limit=None):
    from nahawi.m2.reader import read_m2

    for sentence in read_m2(QALB_DEV)[:limit]:
        for edits in sentence.gold_sets().values():
            yield sentence, edits


def _expected(edit):
    """The kind the QALB tag implies, or None for an ordinary word edit (any word kind)."""
    replacement = edit.corrections[0]
    if all(is_punct_char(ch) for ch in (edit.original + replacement).replace(" ", "")):
        return "punctuation"
    if edit.type in ("Split", "Merge"):
        return "spacing"
    if edit.type in ("Add_before", "Delete"):
        return "word_choice"
    return None


@pytest.mark.skipif(not QALB_DEV.exists(), reason=f"QALB-2014 dev M2 not found at {QALB_DEV}")
def test_qalb_gold_edits_are_classified_consistently_with_their_tags():
    agree, total = Counter(), Counter()
    for _, edits in _gold_edits():
        for edit in edits:
            if edit.type not in ("Edit", "Split", "Merge", "Add_before", "Delete"):
                continue
            expected, kind = _expected(edit), classify_edit(edit.original, edit.corrections[0])
            ok = kind == expected if expected else kind not in ("punctuation", "spacing")
            key = expected or "word edit"
            total[key] += 1
            agree[key] += ok
    assert total["word edit"] > 5000 and total["spacing"] > 1000
    for key in total:
        assert agree[key] / total[key] >= 0.97, (key, agree[key], total[key])


@pytest.mark.skipif(not QALB_DEV.exists(), reason=f"QALB-2014 dev M2 not found at {QALB_DEV}")
def test_qalb_corrections_yield_the_gold_edits():
    """Applying the gold edits and extracting edits back finds (almost) the same edits, exactly."""
    gold, found = Counter(), Counter()
    for sentence, edits in _gold_edits(limit=120):
        tokens = list(sentence.tokens)
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            tokens[edit.start:edit.end] = [edit.corrections[0]] if edit.corrections[0] else []
        corrected = " ".join(t for t in tokens if t)
        edits_back = _check(sentence.source, corrected)
        mine = Counter((e.original.strip(), e.replacement.strip()) for e in edits_back)
        wanted = Counter((e.original, e.corrections[0]) for e in edits)
        gold += wanted
        found += wanted & mine
    assert sum(gold.values()) > 1500
    assert sum(found.values()) / sum(gold.values()) >= 0.95
