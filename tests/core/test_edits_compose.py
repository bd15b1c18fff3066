"""compose_edits: a second pass's edits, made on the text the first pass wrote, as edits of the original —
applying them gives what the two passes wrote, on random edits and on a real two-pass correction."""
from __future__ import annotations

import random

from nahawi.contract import Edit, apply_edits
from nahawi.edits.compose import compose_edits


def _random_edits(text: str, rng: random.Random, most: int) -> list[Edit]:
    """Up to `most` edits of text, touching one another as often as not (never two insertions at one
    offset: their order would be the caller's to say)."""
    points = sorted(rng.randint(0, len(text)) for _ in range(2 * rng.randint(0, most)))
    edits, cursor = [], 0
    for start, end in zip(points[::2], points[1::2], strict=True):
        start = max(start, cursor)
        end = start if rng.random() < 0.3 else max(start, end)  # an insertion
        replacement = "".join(rng.choice("اأبة ،") for _ in range(rng.randint(0, 3)))
        if replacement == text[start:end] or (edits and edits[-1].start == edits[-1].end == start == end):
            continue
        edits.append(Edit(start, end, replacement, "other", "tagger", text[start:end], rng.random()))
        cursor = end
    return edits


def test_the_composed_edits_write_what_the_two_passes_wrote():
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice("اأبتة ") for _ in range(rng.randint(0, 12)))
        first = _random_edits(text, rng, 4)
        written = apply_edits(text, first)
        second = _random_edits(written, rng, 4)
        composed = compose_edits(text, first, second)
        assert apply_edits(text, composed) == apply_edits(written, second)
        assert all(text[e.start:e.end] == e.original for e in composed)
        scores = [e.confidence for e in (*first, *second)]
        assert all(e.confidence in scores for e in composed)  # each the least of the edits it joins


def test_a_word_respelled_twice_is_one_edit_and_a_mark_after_it_stays_its_own():
    text = "دور الحزب اثنا الحرب كان كبيرا"
    at = text.index("اثنا")
    first = [Edit(at, at + 4, "أثنا", "hamza", "tagger", "اثنا", 0.9)]
    written = apply_edits(text, first)
    end = at + 4
    second = [Edit(at, end, "أثناء", "spelling", "tagger", "أثنا", 0.7),
              Edit(written.index("كان") - 1, written.index("كان") - 1, "،", "punctuation", "tagger", "", 0.8)]
    composed = compose_edits(text, first, second)
    assert [(e.original, e.replacement, e.confidence) for e in composed] == [("اثنا", "أثناء", 0.7), ("", "،", 0.8)]
    assert composed[0].kind != "punctuation" and composed[1].start == text.index("كان") - 1
    assert apply_edits(text, composed) == "دور الحزب أثناء الحرب، كان كبيرا"
    after = [Edit(at + 4, at + 4, "،", "punctuation", "tagger", "", 0.8)]  # a mark right after the rewritten word
    assert [e.replacement for e in compose_edits(text, first, after)] == ["أثنا", "،"]  # two suggestions still


def test_touching_first_edits_keep_their_own_spans():
    text = "abcde"
    first = [Edit(0, 1, "X", "other", original="a"), Edit(1, 2, "", "other", original="b"),
             Edit(2, 3, "YW", "other", original="c")]
    second = [Edit(2, 3, "Q", "other", original="W")]
    composed = compose_edits(text, first, second)
    assert apply_edits(text, composed) == "XYQde"
    assert [(e.start, e.end, e.replacement) for e in composed] == [(0, 1, "X"), (1, 2, ""), (2, 3, "YQ")]


def test_a_second_pass_that_undoes_the_first_leaves_nothing():
    text = "قال ان الولد"
    first = [Edit(4, 6, "أن", "hamza", "tagger", "ان", 0.6)]
    assert compose_edits(text, first, [Edit(4, 6, "ان", "hamza", "tagger", "أن", 0.6)]) == ()
    assert compose_edits(text, first, []) == tuple(first)
