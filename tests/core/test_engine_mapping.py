"""Model output → user text: unchanged tokens keep the user's characters and spacing, changes are written
the way Arabic writing attaches punctuation, tokens the vocabulary cannot spell are never touched."""
import os
from pathlib import Path

import pytest

from nahawi.contract import apply_edits
from nahawi.edits import diff_to_edits
from nahawi.engine.mapping import (
    HypToken,
    attach,
    edit_confidence,
    fold_spacing_edits,
    model_input,
    render,
    rendered_edits,
)
from nahawi.text.tokens import model_tokens

QALB_DEV = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2].parent / "shared")) / "data/qalb/2014/dev"


def arabic_spacing(tokens: list[str]) -> str:
    """Benchmark tokens joined the way writers type them: `كلمة، كلمة` rather than `كلمة ، كلمة`."""
    out, previous = "", None
    for token in tokens:
        if previous is not None and attach(token) != "left" and attach(previous) != "right":
            out += " "
        out += token
        previous = token
    return out


def tokens_of(text: str) -> list[str]:
    return [t.text for t in model_tokens(text)]


def rendered(user: str, hyp_line: str, opaque: frozenset[str] = frozenset(), unknown=frozenset()):
    src = model_tokens(user)
    hyp = [HypToken(t.text, (0.9,), t.text in unknown) for t in model_tokens(hyp_line)]
    return render(user, src, [t.text for t in src], [t.text in opaque for t in src], hyp, 0.5)


@pytest.mark.parametrize("user", [
    "ذهب  الولد\tالى المدرسه،البيت (كلمة) .",
    "كلمة ، كلمة",
    "«نعم»... قال؟!",
    "3.5 كيلو، و 10% فقط",
])
def test_copy_keeps_the_user_text_byte_for_byte(user):
    assert rendered(user, model_input(user).line).text == user


@pytest.mark.parametrize(("user", "hyp", "expected"), [
    ("ذهب الولد ثم عاد", "ذهب الولد ، ثم عاد", "ذهب الولد، ثم عاد"),  # inserted comma attaches left
    ("ذهب الولد ثم عاد", "ذهب الولد ثم عاد .", "ذهب الولد ثم عاد."),
    ("ذهب الولد، ثم عاد", "ذهب الولد ثم عاد", "ذهب الولد ثم عاد"),
    ("ذهب الولد ، ثم عاد", "ذهب الولد ثم عاد", "ذهب الولد ثم عاد"),
    ("ذهب الولد،ثم عاد", "ذهب الولد ثم عاد", "ذهب الولد ثم عاد"),  # words never run together
    ("في المدرسه.", "في المدرسة .", "في المدرسة."),
    ("في\tالمدرسه  الكبيره", "في المدرسة الكبيرة", "في\tالمدرسة  الكبيرة"),  # the user's gaps stay
    ("لوكان الولد", "لو كان الولد", "لو كان الولد"),
    ("قال نعم", "قال ( نعم )", "قال (نعم)"),
    ("الولد ذهب", "ثم الولد ذهب", "ثم الولد ذهب"),
    ("ذهب  الولد\tالى", "ذهب الى", "ذهب  الى"),
    ("كلمة ، كلمة", "كلمة ؛ كلمة", "كلمة ؛ كلمة"),  # a replaced mark keeps the user's spacing
])
def test_changes_are_written_in_the_users_spacing(user, hyp, expected):
    assert rendered(user, hyp).text == expected


def test_tokens_the_model_cannot_spell_are_never_changed():
    user = "ذهب 😀 الولد"
    assert rendered(user, "ذهب ⁇ الولد", opaque=frozenset({"😀"}), unknown=frozenset({"⁇"})).text == user
    assert rendered(user, "ذهب الولد", opaque=frozenset({"😀"})).text == user
    assert rendered("ذهب الولد", "ذهب ⁇ الولد", unknown=frozenset({"⁇"})).text == "ذهب الولد"


def test_a_respacing_next_to_a_change_is_part_of_that_edit():
    user = "من عباده - أتوقع"
    result = rendered(user, "من عباده . أتوقع").text
    assert result == "من عباده. أتوقع"
    edits = fold_spacing_edits(user, diff_to_edits(user, result))
    assert [(e.original, e.replacement) for e in edits] == [(" -", ".")]
    assert apply_edits(user, edits) == result


def test_confidence_of_an_edit_is_the_mean_probability_of_its_pieces():
    user = "ذهب الى المدرسه"
    src = model_tokens(user)
    hyp = [HypToken("ذهب", (0.9,)), HypToken("إلى", (0.5, 0.7)), HypToken("المدرسة", (0.2,))]
    result = render(user, src, [t.text for t in src], [False] * 3, hyp, end_prob=0.4)
    edits = diff_to_edits(user, result.text)
    assert [e.replacement for e in edits] == ["إلى", "المدرسة"]
    assert edit_confidence(result, edits[0].start, edits[0].end) == pytest.approx(0.6)
    assert edit_confidence(result, len(result.text), len(result.text)) == pytest.approx(0.4)  # at the end


def _qalb_pairs(limit: int):
    sent, cor = QALB_DEV / "QALB-2014-L1-Dev.sent.no_ids", QALB_DEV / "QALB-2014-L1-Dev.cor.no_ids"
    if not sent.exists():
        pytest.skip(f"QALB-2014 dev not found under {QALB_DEV}")
    sources = sent.read_text(encoding="utf-8").splitlines()[:limit]
    targets = cor.read_text(encoding="utf-8").splitlines()[:limit]
    return list(zip(sources, targets))


def test_gold_corrections_land_on_user_text_with_only_real_edits():
    for source, target in _qalb_pairs(40):
        user = arabic_spacing(source.split())
        assert rendered(user, model_input(user).line).text == user
        result = rendered(user, target).text
        assert "".join(result.split()) == "".join(target.split())  # the gold text, in the user's spacing
        edits = fold_spacing_edits(user, diff_to_edits(user, result))
        assert apply_edits(user, edits) == result
        for edit in edits:  # no edit merely respaces what the user wrote
            assert tokens_of(edit.original) != tokens_of(edit.replacement)
        for mark in "،؛؟":
            assert f" {mark}" not in result, (user, result)


def test_edits_are_found_between_the_tokens_kept_in_place(monkeypatch):
    """rendered_edits compares the texts piece by piece between the render's anchors (unchanged tokens with the
    user's gap), not whole: on real gold corrections it finds the whole-text diff's edits, but for ties (which
    of two repeated marks is deleted), and no edit reaches into an anchor."""
    from nahawi.engine import mapping

    anchored = mapping._anchored_diff
    differ = 0
    for source, target in _qalb_pairs(300):
        user = arabic_spacing(source.split())
        result = rendered(user, target)
        starts = {t.start: t.text for t in model_tokens(user)}  # an anchor is an unchanged token, in both texts
        assert result.anchors and all(result.text[r:].startswith(starts[s]) for s, r in result.anchors)
        monkeypatch.setattr(mapping, "_anchored_diff", anchored)
        edits = rendered_edits(user, result)
        assert apply_edits(user, edits) == result.text
        assert not any(e.start < s < e.end for e in edits for s, _ in result.anchors)
        monkeypatch.setattr(mapping, "_anchored_diff", lambda text, r, rule: list(diff_to_edits(text, r.text, rule)))
        whole = rendered_edits(user, result)
        if edits != whole:
            differ += 1
            assert [(e.original, e.replacement, e.kind) for e in edits] == \
                   [(e.original, e.replacement, e.kind) for e in whole]  # the same edits, a tie apart
    assert differ <= 0.05 * 300


def test_model_edits_that_join_or_split_and_respell_are_never_labelled_spacing():
    """Issue 15 item 6: a model edit labelled `spacing` changed letters (`لاتعلمو` → `لا تعلمون`): accepting
    "spacing" fixes then respelled words. The spaces and the letters are separate edits now."""
    cases = [("قال لاتعلمو شيئا", "قال لا تعلمون شيئا"), ("و انا هنا", "وأنا هنا"),
             ("هذاالكتاب جميل", "هذا الكتاب جميل")]
    for user, target in cases:
        result = rendered(user, target)
        edits = rendered_edits(user, result)
        assert apply_edits(user, edits) == target
        for edit in edits:
            if edit.kind == "spacing":
                assert "".join(edit.original.split()) == "".join(edit.replacement.split()), edit
    assert [e.kind for e in rendered_edits("هذاالكتاب جميل", rendered("هذاالكتاب جميل", "هذا الكتاب جميل"))] \
        == ["spacing"]
    respelled = rendered_edits("و انا هنا", rendered("و انا هنا", "وأنا هنا"))
    assert sorted(e.kind for e in respelled) == ["hamza", "spacing"]
    assert all(e.confidence is not None for e in respelled)
