"""Corpus word spacing: «و» attached, broken words joined, unknown run-together words split."""
import pytest

from nahawi.contract import Edit, apply_edits
from nahawi.engine.lexicon_stage import refine, spacing_edits
from nahawi.lexicon import Lexicon
from nahawi.spacing import Spacing, SpacingConfig

# Counts shaped like the corpus's: «و» is written alone in about 1 % of its uses.
COUNTS = {"و": 20, "والله": 900, "وأنا": 300, "أنا": 5000, "انا": 40, "الله": 20000, "الل": 1, "ه": 2,
          "ما": 30000, "يحدث": 800, "لا": 40000, "يوجد": 3000, "بال": 500, "مدرسة": 400, "وقت": 9000,
          "ف": 5, "فقال": 600, "قال": 7000, "ذهب": 900}


@pytest.fixture
def lexicon():
    return Lexicon(COUNTS)


@pytest.fixture
def spacing(lexicon):
    return Spacing(lexicon)


def test_conjunction_is_attached_only_when_the_corpus_rarely_writes_it_alone(spacing, lexicon):
    assert spacing.proclitics == frozenset({"و"})
    assert spacing.join("و", "الله") == "والله"
    assert spacing.join("و", "hello") is None and spacing.join("و", "ب") is None
    often_alone = Lexicon({**COUNTS, "و": 5000})
    assert Spacing(often_alone).proclitics == frozenset()
    assert Spacing(lexicon, SpacingConfig(proclitics="وف")).proclitics == frozenset({"و", "ف"})


def test_broken_word_is_joined_only_when_a_part_is_unknown(spacing):
    assert spacing.join("الل", "ه") == "الله"
    assert spacing.join("لا", "يوجد") is None  # two known words stay two words


def test_unknown_run_together_word_is_split(spacing):
    assert spacing.split("مايحدث") == ("ما", "يحدث")
    assert spacing.split("لايوجد") == ("لا", "يوجد")
    assert spacing.split("مدرسة") is None  # a known word
    assert spacing.split("بالمدرسة") is None  # «بال» is not common enough to stand alone
    assert spacing.split("abcdef") is None


def test_proclitic_on_a_known_word_is_not_split():
    # «لاعب» ("player") is not «لا عب» once the corpus knows «اعب» after the proclitic ل.
    counts = {**COUNTS, "عب": 500}
    assert Spacing(Lexicon(counts)).split("لاعب") == ("لا", "عب")
    counts["اعب"] = 50
    assert Spacing(Lexicon(counts)).split("لاعب") is None
    assert Spacing(Lexicon(counts), SpacingConfig(split_clitics="")).split("لاعب") == ("لا", "عب")


def test_a_common_word_misspelt_with_an_extra_alif_is_not_split():
    # «لاكن» is «لكن» with a long vowel written out (QALB-2014 dev: 13 times), not «لا كن»; «لايوجد» is no word.
    counts = {**COUNTS, "كن": 3000, "لكن": 30000}
    assert Spacing(Lexicon(counts)).split("لاكن") is None
    assert Spacing(Lexicon(counts)).split("لايوجد") == ("لا", "يوجد")
    assert Spacing(Lexicon({**counts, "لكن": 1000})).split("لاكن") == ("لا", "كن")


def test_split_only_after_a_letter_that_does_not_join_the_next():
    # After «لا» the missing space is invisible; after «من» the words would have run together on screen.
    counts = {**COUNTS, "من": 50000, "صورة": 900, "في": 50000, "تحمل": 500}
    spacing = Spacing(Lexicon(counts))
    assert spacing.split("منصورة") is None and spacing.split("فيتحمل") is None
    assert spacing.split("لايوجد") == ("لا", "يوجد")
    assert Spacing(Lexicon(counts), SpacingConfig(split_after="ني")).split("منصورة") == ("من", "صورة")


def test_words_run_together_where_a_word_visibly_ends_are_split():
    # ة, ى and ء are only written at a word's end; before the article any non-joining letter ends a word.
    counts = {**COUNTS, "المجرمة": 60, "التي": 40000, "تجار": 300, "الدماء": 200, "ومكانة": 30, "المرأة": 2000,
              "السعودية": 3000, "آراء": 400, "كم": 9000}
    spacing = Spacing(Lexicon(counts))
    assert spacing.split("المجرمةالتي") == ("المجرمة", "التي")
    assert spacing.split("تجارالدماء") == ("تجار", "الدماء")
    assert spacing.split("ومكانةالمرأةالسعودية") == ("ومكانة", "المرأة", "السعودية")  # cut again
    assert spacing.split("آراءكم") is None  # ء + a two-letter suffix is one word («your opinions»)
    assert spacing.split("المجرمةالتيx") is None
    assert Spacing(Lexicon(counts), SpacingConfig(long_min=100)).split("المجرمةالتي") is None  # a rare part
    hostile = "ة" * 5000
    assert spacing.split(hostile) is None  # a letter run past long_max_len is left alone, at once


def test_a_less_common_short_word_is_split_only_before_a_whole_word():
    # «يا» is below split_first_min; it is split before a word of three letters or more, never before a
    # suffix-sized part, and a proclitic + word («ولا») needs the full count.
    counts = {**COUNTS, "يا": 2000, "شعب": 900, "ولا": 3000, "عودة": 400, "هم": 8000}
    spacing = Spacing(Lexicon(counts))
    assert spacing.split("ياشعب") == ("يا", "شعب")
    assert spacing.split("ياهم") is None
    assert spacing.split("ولاعودة") is None
    assert Spacing(Lexicon(counts), SpacingConfig(split_first_min_whole=10_000)).split("ياشعب") is None


def test_a_known_word_the_corpus_writes_apart_is_split():
    # «يارب» is a word the corpus knows, but it writes «يا رب» far more often: the pair count decides (the
    # lexicon keeps the counts of pairs that are also written as one word).
    counts = {**COUNTS, "يا": 2000, "رب": 900, "يارب": 20, "لابد": 400, "بد": 3000, "ولابد": 100, "ا": 50,
              "لايوجد": 10}
    bigrams = {("يا", "رب"): 1000, ("لا", "بد"): 2000, ("و", "لابد"): 30, ("ولا", "بد"): 900, ("لا", "يوجد"): 2000}
    spacing = Spacing(Lexicon(counts, bigrams=bigrams))
    assert spacing.split("يارب") == ("يا", "رب")  # apart 50 times as often
    assert spacing.split("لابد") is None  # apart only 5 times as often: the joined spelling is usual too
    assert spacing.split("ولابد") is None  # a proclitic on a known word
    assert spacing.split("لايوجد") == ("لا", "يوجد")  # «لا» is a word, not ل + «ا»
    assert Spacing(Lexicon(counts, bigrams=bigrams), SpacingConfig(known_split_ratio=4)).split("لابد") == ("لا", "بد")
    assert Spacing(Lexicon(counts, bigrams=bigrams), SpacingConfig(known_split_ratio=0)).split("يارب") is None
    assert Spacing(Lexicon(counts)).split("يارب") is None  # no pair counts: nothing to weigh


def test_count_thresholds_scale_with_the_corpus_size():
    # The same shares in a corpus ten times the reference's: «ضد» at 12,000 is below 10,000 × 10, so
    # «ضدهم» («against them») is no longer cut into «ضد هم».
    counts = {**COUNTS, "ضد": 12_000, "هم": 8_000}
    assert Spacing(Lexicon(counts), SpacingConfig(reference_total=sum(counts.values()))).split("ضدهم") == ("ضد", "هم")
    larger = SpacingConfig(reference_total=sum(counts.values()) / 10)
    assert Spacing(Lexicon(counts), larger).config.split_first_min == 100_000
    assert Spacing(Lexicon(counts), larger).split("ضدهم") is None
    assert Spacing(Lexicon(counts)).config.split_first_min == 10_000  # a smaller corpus never lowers them


def test_joins_take_the_usual_spelling_and_absorb_a_model_edit(spacing, lexicon):
    text = "قال و انا هنا"
    edits, absorbed = spacing_edits(text, [], spacing, lexicon)
    # the join is an edit of the space, the usual spelling one of the letters (issue 15: a spacing edit
    # never changes letters)
    assert [(e.original, e.replacement, e.kind, e.rule_id) for e in edits] == [
        (" ", "", "spacing", "spacing"), ("انا", "أنا", "hamza", "spacing")]
    assert apply_edits(text, edits) == "قال وأنا هنا"
    model = [Edit(6, 9, "أنا", "hamza", original="انا")]
    edits, absorbed = spacing_edits(text, model, spacing, lexicon)
    assert absorbed == model and apply_edits(text, edits) == "قال وأنا هنا"
    refined = refine(text, tuple(model), lexicon, spacing=spacing)
    assert apply_edits(text, refined) == "قال وأنا هنا"


def test_other_model_edits_block_spacing(spacing, lexicon):
    text = "و انا"
    blocking = [Edit(0, 5, "و أنا ذهب", "other", original="و انا")]  # several words: not absorbable
    assert spacing_edits(text, blocking, spacing, lexicon) == ([], [])
