"""The punctuation model and its engine stage: marks between words, on the user's own text."""
import gzip

import pytest

from nahawi.contract import Edit, apply_edits
from nahawi.engine.punct_stage import in_latin_marks, punctuation_edits
from nahawi.errors import ModelError
from nahawi.punctuation import LABELS, PunctuationModel, gap_features, load_punctuation, save_punctuation


def _row(**by_label):
    return [by_label.get({"": "none", "،": "comma", ".": "period", "؟": "question"}.get(label, label), 0.0)
            for label in LABELS]


# A small hand-set model whose behaviour is known: a period ends a paragraph, a comma goes before «و»
# after five or more words without a mark, and a Latin comma becomes an Arabic one.
WEIGHTS = {
    "bias": _row(none=4.0),
    "e=0": _row(period=8.0),  # no word left: the end of the paragraph
    "rp=و": _row(comma=4.0),
    "d=3": _row(comma=2.0),  # 6-9 words since the last mark
    "w=,": _row(comma=9.0),
}


@pytest.fixture
def model():
    return PunctuationModel(WEIGHTS, priors={}, threshold=0.8)


def test_features_describe_the_gap():
    words = ["ذهبت", "إلى", "السوق"]
    features = gap_features(words, 1, "", since=2, priors={"إلى": (3, 0)})
    assert {"l=إلى", "r=السوق", "bl=ذهبت|إلى", "rp=ا", "ca=3", "w="} <= set(features)
    assert "e=0" in gap_features(words, 2, "", since=3, priors={})


def test_probabilities_are_a_distribution(model):
    probs = model.probabilities(["bias", "e=0", "unknown-feature"])
    assert sum(probs) == pytest.approx(1.0)
    assert max(range(len(LABELS)), key=probs.__getitem__) == LABELS.index(".")


def test_gaps_insert_replace_and_leave_unknown_marks(model):
    words = ["كتبت", "الرسالة", "ثم", "ذهبت", "إلى", "السوق", "واشتريت", "الخبز"]
    gaps = model.gaps(words, [""] * len(words))
    assert [(g.index, g.written, g.proposed) for g in gaps] == [(5, "", "،"), (7, "", ".")]
    marks = [""] * len(words)
    marks[1], marks[7] = ",", "! !"  # a Latin comma; two marks are left alone
    assert [(g.index, g.proposed) for g in model.gaps(words, marks)] == [(1, "،")]


def test_marks_the_writer_wrote_are_never_moved_or_deleted():
    # This model wants «؛» after «ثم» and nothing before «إلى»; the writer's «،» and «.» there stay.
    weights = {**WEIGHTS, "l=ثم": _row(**{"؛": 9.0}), "r=إلى": _row(none=9.0)}
    model = PunctuationModel(weights, priors={}, threshold=0.8)
    words = ["كتبت", "الرسالة", "ثم", "ذهبت", "إلى", "السوق"]
    assert [(g.index, g.proposed) for g in model.gaps(words, ["", "", "", "", "", ""])] == [(2, "؛"), (5, ".")]
    written = ["", "", "،", ".", "", ""]
    assert [(g.index, g.proposed) for g in model.gaps(words, written)] == [(5, ".")]
    written[2] = ","  # a Latin comma always becomes its Arabic form, never the «؛» the model prefers
    assert [(g.index, g.proposed) for g in model.gaps(words, written)] == [(2, "،"), (5, ".")]
    written[3] = "?"  # whatever the model thinks of the gap: the writer wanted a mark there
    assert [(g.index, g.proposed) for g in model.gaps(words, written)] == [(2, "،"), (3, "؟"), (5, ".")]


def test_a_mark_just_placed_counts_for_the_next_gap(model):
    words = ["قرأت", "الكتاب", "كله", "في", "يوم", "واحد", "وكتبت", "عنه", "وتحدثت", "مع", "صديقي", "ونمت"]
    inserted = [g.index for g in model.gaps(words, [""] * len(words)) if g.proposed == "،"]
    assert inserted == [5]  # after «واحد»; the «و» gaps that follow are too close to it


def test_stage_writes_marks_the_way_users_do(model):
    text = "ذهبت إلى السوق واشتريت الخبز ثم عدت إلى البيت"
    edits = punctuation_edits(text, [], model)
    assert apply_edits(text, edits) == "ذهبت إلى السوق واشتريت الخبز ثم عدت إلى البيت."
    assert all(e.rule_id == "punctuation" and e.kind == "punctuation" and 0 < e.confidence <= 1 for e in edits)
    latin = "كتبت الرسالة, ثم ذهبت"
    assert apply_edits(latin, punctuation_edits(latin, [], model)) == "كتبت الرسالة، ثم ذهبت."
    # every Latin mark between Arabic words takes its Arabic form; one in Latin text or a number stays
    mixed = "يحتاج الفريق Python, Rust and Go في المشروع بسعر 3,5 دينار , فهل يكفي ?"
    assert apply_edits(mixed, punctuation_edits(mixed, [], model)) == \
        "يحتاج الفريق Python, Rust and Go في المشروع بسعر 3,5 دينار ، فهل يكفي ؟"


def test_stage_runs_per_paragraph_and_skips_non_arabic_and_taken_gaps(model):
    text = "ذهبت إلى السوق\nhello world\nعدت إلى البيت"
    assert apply_edits(text, punctuation_edits(text, [], model)) == "ذهبت إلى السوق.\nhello world\nعدت إلى البيت."
    taken = [Edit(9, 14, "السوق", "hamza")]  # rewrites the last word: the gap after it is still free
    assert len(punctuation_edits("ذهبت إلى السوق", taken, model)) == 1
    join = [Edit(5, 14, "إلىالسوق", "spacing")]  # spans the last gap's left word and more
    assert punctuation_edits("ذهبت إلى السوق", join, model)[0].start == 14


def test_the_writers_marks_stay_and_latin_ones_take_their_arabic_form_in_place():
    weights = {"bias": _row(none=6.0)}  # "no mark" everywhere
    model = PunctuationModel(weights, {}, threshold=0.5)
    for text in ("كتبت ، ثم ذهبت", "كتبت،ثم ذهبت", "كتبت، ثم ذهبت."):
        assert punctuation_edits(text, [], model) == []
    latin = PunctuationModel({**weights, "w=,": _row(comma=9.0)}, {}, threshold=0.5)
    assert apply_edits("كتبت,ثم ذهبت", punctuation_edits("كتبت,ثم ذهبت", [], latin)) == "كتبت،ثم ذهبت"


def test_a_writer_of_latin_marks_keeps_them_and_gets_added_ones_in_latin_form(model):
    text = "كتبت الرسالة, ثم ذهبت إلى السوق واشتريت الخبز والحليب ثم عدت وهل عدت ?"
    arabic = punctuation_edits(text, [], model)
    assert apply_edits(text, arabic) == "كتبت الرسالة، ثم ذهبت إلى السوق واشتريت الخبز، والحليب ثم عدت وهل عدت ؟"
    latin = in_latin_marks(text, arabic)
    assert apply_edits(text, latin) == "كتبت الرسالة, ثم ذهبت إلى السوق واشتريت الخبز, والحليب ثم عدت وهل عدت ?"
    assert [(e.start, e.end, e.confidence) for e in latin] == [(e.start, e.end, e.confidence) for e in arabic
                                                             if e.original == ""]
    # a word edit keeps its letters; an edit over an Arabic mark the writer wrote keeps the Arabic form there
    words = [Edit(5, 12, "الرسالة،", "hamza"), Edit(0, 4, "كتبتُ؟", "other")]
    assert in_latin_marks("كتبت الرساله", words) == [Edit(5, 12, "الرسالة,", "hamza"), Edit(0, 4, "كتبتُ?", "other")]
    kept = [Edit(4, 5, ".", "punctuation"), Edit(4, 5, "؛", "punctuation")]
    assert in_latin_marks("كتبت، ثم", kept) == kept


def test_save_load_round_trip_and_corrupt_files(tmp_path, model):
    path = tmp_path / "punctuation.json.gz"
    save_punctuation(path, WEIGHTS, {"السوق": (2, 1)}, threshold=0.9)
    loaded = load_punctuation(path)
    assert loaded.threshold == 0.9 and loaded.priors == {"السوق": (2, 1)}
    assert load_punctuation(path, threshold=0.6).threshold == 0.6
    words = ["ذهبت", "إلى", "السوق"]
    assert loaded.gaps(words, ["", "", ""]) == PunctuationModel(WEIGHTS, {"السوق": (2, 1)}, 0.9).gaps(words, ["", "", ""])
    first = path.read_bytes()
    save_punctuation(path, WEIGHTS, {"السوق": (2, 1)}, threshold=0.9)
    assert path.read_bytes() == first  # no timestamp: same model, same bytes
    path.write_bytes(first[: len(first) // 2])
    with pytest.raises(ModelError, match="unreadable punctuation model"):
        load_punctuation(path)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write('{"format": "something-else"}')
    with pytest.raises(ModelError, match="not a nahawi-punctuation"):
        load_punctuation(path)


def _one_gap_at_a_time(model, words, written, threshold):
    """The decoding as the model's definition reads: `features_between` and `probabilities` for each gap,
    left to right, a placed mark resetting the distance."""
    from nahawi.punctuation import LOOKAHEAD, Gap, features_between
    from nahawi.text.punct import ARABIC_FORM

    gaps, since = [], 0
    for index, (word, mark) in enumerate(zip(words, written)):
        since += 1
        if mark in ARABIC_FORM:
            gaps.append(Gap(index, mark, ARABIC_FORM[mark], 1.0))
            mark = ARABIC_FORM[mark]
        elif not mark:
            before = words[index - 1] if index else "<s>"
            right = words[index + 1] if index + 1 < len(words) else "</s>"
            remaining = min(len(words) - index - 1, LOOKAHEAD + 1)
            probs = model.probabilities(features_between(before, word, right, remaining, mark, since, model.priors))
            best = max(range(len(LABELS)), key=probs.__getitem__)
            if LABELS[best] and probs[best] >= threshold:
                gaps.append(Gap(index, mark, LABELS[best], round(probs[best], 4)))
                mark = LABELS[best]
        if mark:
            since = 0
    return gaps


@pytest.mark.parametrize("weights", ["tables", "json", "writer"])
def test_block_scores_decode_as_one_gap_at_a_time(weights):
    """The gaps of a block are scored at once (numpy, every distance); the marks and their probabilities
    are exactly those of the model read one gap at a time, across blocks, with Latin and written marks,
    whether the weights are mapped tables, parsed JSON or a writer's rows added to the tables'."""
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR
    from nahawi.profile.writer import WriterRows
    from nahawi.punctuation import BLOCK, split_marks
    from nahawi.text.punct import tokenize_punct

    model = load_punctuation(DEFAULT_MODEL_DIR / ("punctuation.json.gz" if weights == "json" else "punctuation.tables"))
    if weights == "writer":  # this writer puts a comma before «و» and marks less elsewhere
        rows = WriterRows(model.weights, {"rp=و": {"،": 2.0}, "bias": {"": 0.5}})
        model = PunctuationModel(rows, model.priors, model.threshold)
    sample = (DEFAULT_MODEL_DIR.parent / "sample.txt").read_text(encoding="utf-8").replace("،", ",")
    words, marks = split_marks(tokenize_punct(" ".join(sample.split() * 3)).split())
    written = [" ".join(m) for m in marks]
    assert len(words) > 3 * BLOCK and {"", ",", "."} <= set(written)
    for threshold in (0.3, 0.8):
        expected = _one_gap_at_a_time(model, words, written, threshold)
        assert expected and model.gaps(words, written, threshold) == expected
