"""False alarms are counted in edited source words: a join or split counts every word it touches, an inserted
mark the word it follows, a word touched twice once."""
from nahawi.bench.false_alarms import count_edited_words
from nahawi.contract import Edit, apply_edits

TEXT = "ذهب الولد الى المدرسة و كتب الدرس"


def edit(start: int, end: int, replacement: str) -> Edit:
    return Edit(start, end, replacement, "other", original=TEXT[start:end])


def test_edited_words_count_every_word_an_edit_touches():
    at = TEXT.index
    join = edit(at("و كتب"), at("و كتب") + len("و كتب"), "وكتب")
    assert apply_edits(TEXT, (join,)) == "ذهب الولد الى المدرسة وكتب الدرس"
    assert count_edited_words(TEXT, [join]) == 2
    hamza = edit(at("الى"), at("الى") + 3, "إلى")
    comma = edit(at("المدرسة") + len("المدرسة"), at("المدرسة") + len("المدرسة"), "،")
    assert count_edited_words(TEXT, [hamza, comma]) == 2
    ta = edit(at("المدرسة") + 6, at("المدرسة") + 7, "ه")  # the same word as the comma: counted once
    assert count_edited_words(TEXT, [comma, ta, join]) == 3
    assert count_edited_words(TEXT, []) == 0
    at_start = Edit(0, 0, "«", "punctuation", original="")
    assert count_edited_words(TEXT, [at_start]) == 1 and count_edited_words("", [at_start]) == 0
    split = edit(at("المدرسة"), at("المدرسة") + len("المدرسة"), "ال مدرسة")
    assert count_edited_words(TEXT, [split]) == 1


def test_a_mark_put_in_the_form_a_dataset_writes_it_is_no_change_there():
    """ZAEBUC's release writes every mark in its Latin form on both sides: the engine's «,» → «،» is no false
    alarm there and its «،» scores as the «,» the gold inserts; on QALB, which writes «،», both stay as they are."""
    from nahawi.bench.false_alarms import alarms
    from nahawi.bench.quality import DATASETS, hypothesis
    from nahawi.engine import Corrector

    text = "كانت عربية أو أجنبية , و قد حرصت الدولة على ذلك"
    correction = Corrector.from_dir(None, device="cpu").correct(text)
    latin = [e for e in correction.edits if e.original == ","]
    assert [e.replacement for e in latin] == ["،"]
    zaebuc, qalb = DATASETS["zaebuc-dev"], DATASETS["qalb14-dev"]
    assert alarms(zaebuc, correction.edits) == [e for e in correction.edits if e.original != ","]
    assert alarms(qalb, correction.edits) == list(correction.edits)
    assert hypothesis(zaebuc, "قرأت الكتاب، ثم نمت؟") == "قرأت الكتاب , ثم نمت ?"
    assert hypothesis(qalb, "قرأت الكتاب، ثم نمت؟") == "قرأت الكتاب ، ثم نمت ؟"


def test_the_list_names_each_false_alarm_on_real_correct_text(shared_root):
    """`nahawi bench false-alarms --list`: every alarm counted is listed, with the correct text around it, and
    the listed edit sits exactly where its context says."""
    from nahawi.bench.false_alarms import CORRECT_SIDES, measure_false_alarms
    from nahawi.m2.reader import read_lines

    report = measure_false_alarms("qalb14-dev", shared_root / "data", limit=60, list_alarms=True)
    listed = report["alarms"]
    assert len(listed) == report["edits"] > 0
    lines = read_lines(shared_root / "data" / CORRECT_SIDES["qalb14-dev"])
    for alarm in listed:
        source = lines[alarm["document"]]
        assert source[alarm["start"]:alarm["end"]] == alarm["original"]
        assert source[:alarm["start"]].endswith(alarm["before"]) and source[alarm["end"]:].startswith(alarm["after"])
        assert alarm["replacement"] != alarm["original"] and alarm["kind"] in report["by_kind"]
    assert "alarms" not in measure_false_alarms("qalb14-dev", shared_root / "data", limit=5)
