"""Edit tags: anchored rewrites apply only where their letters are, tags rebuild sentences, the vocabulary
round-trips through JSON and refuses broken files."""
from __future__ import annotations

import json

import pytest

from nahawi.errors import ModelError
from nahawi.tags import DELETE, JOIN, KEEP, Rewrite, TaggedToken, TagVocab, apply_tags, rewrite_between


def test_rewrites_apply_at_their_anchor_only():
    hamza = Rewrite("^", 0, "ا", "أ")
    assert hamza.apply("ان") == "أن" and hamza.apply("من") is None
    ta_marbuta = Rewrite("$", 0, "ه", "ة")
    assert ta_marbuta.apply("المدرسه") == "المدرسة" and ta_marbuta.apply("هذا") is None
    assert Rewrite("^", 2, "", " ").apply("مايحدث") == "ما يحدث"
    assert Rewrite("$", 3, "ا", "x").apply("ab") is None  # anchored beyond the word


@pytest.mark.parametrize("source,target", [
    ("ان", "أن"), ("المدرسه", "المدرسة"), ("الى", "إلى"), ("مايحدث", "ما يحدث"), ("فى", "في"),
    ("الطلاب", "طلاب"), ("يكتبون", "يكتبوا"), ("مسئول", "مسؤول"), ("a", "abc"),
])
def test_rewrite_between_rebuilds_the_target(source, target):
    rewrite = rewrite_between(source, target)
    assert rewrite is not None and rewrite.apply(source) == target
    assert rewrite_between(source, source) is None


def test_apply_tags_joins_deletes_splits_and_marks():
    tagged = [
        TaggedToken("قال", KEEP),
        TaggedToken("ان", Rewrite("^", 0, "ا", "إ")),
        TaggedToken("الولد", KEEP, "،"),
        TaggedToken("و", JOIN),
        TaggedToken("كتب", KEEP),
        TaggedToken("ال", DELETE),
        TaggedToken("مايحدث", Rewrite("^", 2, "", " "), "."),
    ]
    assert apply_tags(tagged) == ["قال", "إن", "الولد", "،", "وكتب", "ما", "يحدث", "."]
    assert apply_tags([TaggedToken("هذا", Rewrite("^", 0, "ا", "أ"))]) == ["هذا"]  # not applicable: kept
    assert apply_tags([TaggedToken("و", JOIN), TaggedToken("ال", DELETE), TaggedToken("بيت")]) == ["وبيت"]


def test_vocab_round_trips_and_refuses_broken_files(tmp_path):
    vocab = TagVocab([Rewrite("^", 0, "ا", "أ"), Rewrite("$", 0, "ه", "ة")])
    path = tmp_path / "tags.json"
    vocab.save(path)
    loaded = TagVocab.load(path)
    assert loaded.word_tags == vocab.word_tags and loaded.marks == vocab.marks
    assert loaded.word_id(KEEP) == 0 and loaded.word_id(DELETE) == 1 and loaded.word_id(JOIN) == 2
    assert loaded.word_id(Rewrite("$", 0, "ه", "ة")) == 4 and loaded.word_id(Rewrite("$", 0, "ى", "ي")) is None
    assert loaded.mark_id("") == 0 and loaded.mark_id("،") == 1 and loaded.mark_id(",") is None
    broken = {"format": "nahawi-tags", "rewrites": [["^", -1, "ا", "أ"]], "marks": []}
    for data in (broken, {"format": "other"}, {"format": "nahawi-tags", "rewrites": [["^", 0]], "marks": []}):
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(ModelError, match="tags.json"):
            TagVocab.load(path)
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(ModelError, match="cannot read"):
        TagVocab.load(path)


def test_choose_tags_trusts_only_confident_applicable_tags():
    import numpy as np

    from nahawi.tags import TagPolicy, choose_tags

    vocab = TagVocab([Rewrite("^", 0, "ا", "أ"), Rewrite("$", 0, "ه", "ة")])
    tokens = ["قال", "ان", "المدرسه", "،", "جميلة"]
    word = np.full((5, len(vocab)), 0.01)
    word[:, 0] = 0.9
    word[1] = [0.2, 0.0, 0.0, 0.8, 0.0]  # ^0 ا→أ on ان: applies
    word[0] = [0.1, 0.0, 0.0, 0.9, 0.0]  # ^0 ا→أ on قال: does not apply, kept
    word[2] = [0.4, 0.0, 0.0, 0.0, 0.6]  # $0 ه→ة, below a 0.7 threshold
    marks = np.zeros((5, len(vocab.marks)))
    marks[:, 0] = 1.0
    marks[2] = [0.1, 0.9, 0, 0, 0, 0, 0]  # a comma after المدرسه, but one already follows
    marks[4] = [0.2, 0, 0.8, 0, 0, 0, 0]  # a full stop at the end
    choices = choose_tags(tokens, word, marks, vocab, TagPolicy(0.7, 0.5))
    assert [c.tagged.word for c in choices] == [KEEP, Rewrite("^", 0, "ا", "أ"), KEEP, KEEP, KEEP]
    assert [c.tagged.mark for c in choices] == ["", "", "", "", "."]
    assert choices[1].word_confidence == 0.8 and choices[4].mark_confidence == 0.8
    assert apply_tags([c.tagged for c in choices]) == ["قال", "أن", "المدرسه", "،", "جميلة", "."]
    looser = choose_tags(tokens, word, marks, vocab, TagPolicy(0.5, 0.5))
    assert looser[2].tagged.word == Rewrite("$", 0, "ه", "ة")
