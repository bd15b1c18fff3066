"""The guard: a correction that drifts from its source is rejected, a normal correction is not."""
from nahawi.engine.guard import GuardConfig, check, longest_repeat, repetition_loop, token_edit_distance


def words(text: str) -> list[str]:
    return text.split()


SOURCE = words("ذهب الولد الى المدرسه في الصباح الباكر ، ثم عاد الى البيت .")


def test_edit_distance_counts_token_edits():
    assert token_edit_distance(SOURCE, SOURCE) == 0
    fixed = SOURCE.copy()
    fixed[2], fixed[3] = "إلى", "المدرسة"
    assert token_edit_distance(SOURCE, fixed) == 2
    assert token_edit_distance(SOURCE, SOURCE[1:]) == 1
    assert token_edit_distance([], ["a", "b"]) == 2


def test_typical_corrections_pass():
    fixed = words("ذهب الولد إلى المدرسة في الصباح الباكر ، ثم عاد إلى البيت .")
    assert check(SOURCE, fixed).ok
    assert check(["انشاء", "الله"], ["إن", "شاء", "الله"]).ok  # short sentences may change a lot
    assert check(["مرحبا"], ["مرحبًا"]).ok


def test_rewrite_is_rejected():
    rewrite = words("كان الطقس جميلا جدا يوم أمس في المدينة الكبيرة كلها")
    verdict = check(SOURCE, rewrite)
    assert not verdict.ok and "edits" in verdict.reason


def test_large_length_change_is_rejected():
    verdict = check(SOURCE, SOURCE[:6])
    assert not verdict.ok
    longer = SOURCE + words("وقال إنه سعيد جدا جدا بما رآه هناك اليوم")
    assert not check(SOURCE, longer).ok


def test_repetition_loop_is_rejected_but_source_repetition_is_not():
    looping = SOURCE[:5] + ["في", "الصباح"] * 3 + SOURCE[7:]
    assert repetition_loop(SOURCE, looping, GuardConfig()) == "في الصباح"
    assert not check(SOURCE, looping).ok
    emphatic = words("لا لا لا للحرب")  # the writer repeated it: copying it is fine
    assert check(emphatic, emphatic).ok
    assert longest_repeat(words("a b a b a b c"), 2)[("a", "b")] == 3


def test_thresholds_are_configurable():
    fixed = SOURCE.copy()
    fixed[0:3] = ["ذهبت", "البنت", "إلى"]
    assert check(SOURCE, fixed).ok
    assert not check(SOURCE, fixed, GuardConfig(max_edit_ratio=0.1, min_edits_to_reject=1)).ok
