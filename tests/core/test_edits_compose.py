"""compose_edits: a second pass's edits, made on the text the first pass wrote, as edits of the original —
applying them gives what the two passes wrote, on random edits and on a real two-pass correction."""
from __future__ import annotations

import random

from nahawi.contract import Edit, apply_edits
from nahawi.edits.compose import compose_edits


def _random_edits(text: str, rng: random.Random, most: int) -> list[Edit]:
    cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, 2 * rng.randint(0, most))))
    edits = []
    for start, end in zip(cuts[::2], cuts[1::2]):  # an odd cut (a short text) is left over
        end = start if rng.random() < 0.3 else end  # an insertion
        replacement = "".join(rng.choice("اأبة ،") for _ in range(rng.randint(0, 3)))
        if replacement != text[start:end]:
            edits.append(Edit(start, end, replacement, "other", "tagger", text[start:end], rng.random()))
    return edits


def test_the_composed_edits_write_what_the_two_passes_wrote():
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice("اأبتة ") for _ in range(rng.randint(0, 16)))
        first = _random_edits(text, rng, 3)
        written = apply_edits(text, first)
        second = _random_edits(written, rng, 3)
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


def test_a_second_pass_that_undoes_the_first_leaves_nothing():
    text = "قال ان الولد"
    first = [Edit(4, 6, "أن", "hamza", "tagger", "ان", 0.6)]
    assert compose_edits(text, first, [Edit(4, 6, "ان", "hamza", "tagger", "أن", 0.6)]) == ()
    assert compose_edits(text, first, []) == tuple(first)
