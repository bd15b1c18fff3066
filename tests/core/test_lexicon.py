"""The lexicon stage: usual spellings by frequency, the vocabulary net on model edits, and the engine."""
import math
import shutil

import pytest

from nahawi.contract import Edit, apply_edits
from nahawi.engine.lexicon_stage import lexicon_edits, plausible, refine
from nahawi.errors import ModelError
from nahawi.lexicon import (
    Lexicon,
    LexiconConfig,
    fold_variants,
    lexicon_config,
    load_lexicon,
    only_supplies,
    save_lexicon,
)

COUNTS = {"إلى": 900, "الى": 40, "أن": 800, "ان": 30, "إن": 200, "مدرسة": 50, "مدرسه": 2, "ذهب": 70,
          "الطالب": 60, "في": 1000, "المسؤول": 9, "المسئول": 4}


@pytest.fixture(scope="module")
def default_engine():
    from nahawi.engine import Corrector

    return Corrector.from_dir(None, device="cpu")


@pytest.fixture
def lexicon():
    return Lexicon(COUNTS)


def test_fold_erases_only_hamza_ta_marbuta_and_alif_maqsura():
    assert fold_variants("إلى") == fold_variants("الي") == "الي"
    assert fold_variants("مدرسة") == "مدرسه"
    assert fold_variants("ذهب") == "ذهب"


def test_usual_spelling_needs_the_ratio(lexicon):
    assert lexicon.suggest("الى") == "إلى"  # 900 >= 8 x 40
    assert lexicon.suggest("ان") == "أن"
    assert lexicon.suggest("إن") is None  # a valid word: 800 < 8 x 200
    assert lexicon.suggest("المسئول") is None  # 9 < 8 x 4
    assert lexicon.suggest("أن") is None and lexicon.suggest("كتاب") is None
    assert Lexicon(COUNTS, LexiconConfig(ratio=3.0)).suggest("إن") == "أن"


def test_unknown_spelling_gets_the_known_one(lexicon):
    assert lexicon.suggest("مدرسه") == "مدرسة"
    assert lexicon.suggest("مدرسى") is None  # folds to مدرسي: no such word


def test_save_and_load_round_trip(tmp_path, lexicon):
    save_lexicon(tmp_path / "lex.tsv.gz", COUNTS)
    first = (tmp_path / "lex.tsv.gz").read_bytes()
    save_lexicon(tmp_path / "lex.tsv.gz", dict(reversed(COUNTS.items())))
    assert (tmp_path / "lex.tsv.gz").read_bytes() == first  # stable bytes
    save_lexicon(tmp_path / "other-name.tsv.gz", COUNTS)
    assert (tmp_path / "other-name.tsv.gz").read_bytes() == first  # whatever the file is called
    assert load_lexicon(tmp_path / "lex.tsv.gz").counts == COUNTS


def test_corrupt_lexicon_names_the_file(tmp_path):
    (tmp_path / "bad.tsv.gz").write_bytes(b"not gzip")
    with pytest.raises(ModelError, match="bad.tsv.gz"):
        load_lexicon(tmp_path / "bad.tsv.gz")


def test_lexicon_edits_keep_user_text_outside_the_words(lexicon):
    text = "ذهب الطالب الى  المدرسه،ان"
    edits = lexicon_edits(text, [], lexicon)
    assert [(e.original, e.replacement, e.kind, e.rule_id) for e in edits] == [
        ("الى", "إلى", "hamza", "lexicon"), ("ان", "أن", "hamza", "lexicon")]
    assert apply_edits(text, edits) == "ذهب الطالب إلى  المدرسه،أن"
    assert all(0.5 < e.confidence <= 1 for e in edits)


def test_unknown_word_from_a_known_one_is_dropped_and_the_lexicon_fills_in(lexicon):
    text = "ذهب الطالب الى في"
    model = (Edit(0, 3, "ذهبب", "other", original="ذهب"),  # known -> never-seen word: dropped
             Edit(11, 14, "إلي", "hamza", original="الى"),  # known -> never-seen word: dropped
             Edit(15, 17, "فى", "alif_maqsura", original="في"))
    assert not any(plausible(edit, lexicon) for edit in model)
    refined = refine(text, model, lexicon)
    assert [(e.original, e.replacement, e.rule_id) for e in refined] == [("الى", "إلى", "lexicon")]


def test_model_edit_to_a_known_word_wins_over_the_lexicon(lexicon):
    text = "ذهب الى في"
    model = (Edit(4, 7, "إن", "hamza", original="الى"),)  # odd, but both words are known: kept as is
    assert refine(text, model, lexicon) == model


def test_model_edit_must_write_known_words(lexicon):
    assert plausible(Edit(0, 4, "الطالب", "other", original="الطلب"), lexicon)
    assert not plausible(Edit(0, 8, "والفهاكهازجة", "spacing", original="والفاكهه الطازجة"), lexicon)
    assert plausible(Edit(3, 3, "،", "punctuation"), lexicon) and plausible(Edit(0, 4, "", "word_choice"), lexicon)


def test_engine_applies_the_lexicon_of_its_model_directory(tiny_model_dir, tmp_path):
    from nahawi.engine import Corrector

    model_dir = tmp_path / "with-lexicon"
    shutil.copytree(tiny_model_dir, model_dir)
    save_lexicon(model_dir / "lexicon.tsv.gz", COUNTS)
    text = "ذهب الطالب الى المدرسه 🙂 ان"
    with_lexicon = Corrector.from_dir(model_dir, device="cpu").correct(text)
    lexicon_only = [e for e in with_lexicon.edits if e.rule_id == "lexicon"]
    assert {(e.original, e.replacement) for e in lexicon_only} >= {("الى", "إلى"), ("ان", "أن")}
    assert apply_edits(text, with_lexicon.edits) == with_lexicon.corrected
    assert with_lexicon.corrected.count("🙂") == 1


def test_policy_filters_model_edits_by_kind_and_confidence_and_can_prefer_the_lexicon(lexicon):
    from nahawi.engine.lexicon_stage import EditPolicy

    text = "ذهب الى في"
    model = (Edit(4, 7, "إن", "hamza", original="الى", confidence=0.9),
             Edit(10, 10, " .", "punctuation", confidence=0.4))
    assert refine(text, model, lexicon, EditPolicy(min_confidence=0.5)) == model[:1]
    assert refine(text, model, lexicon, EditPolicy(kinds=frozenset({"punctuation"})))[0].replacement == "إلى"
    preferred = refine(text, model, lexicon, EditPolicy(prefer_lexicon=True))
    assert [(e.replacement, e.rule_id) for e in preferred] == [("إلى", "lexicon"), (" .", "model")]
    assert EditPolicy.from_dict({"kinds": ["hamza"], "min_confidence": 0.7, "prefer_lexicon": True}) == \
        EditPolicy(0.7, frozenset({"hamza"}), True)


def test_a_learner_policy_adds_the_model_edits_only_where_the_corpus_stages_make_none():
    """model_fills_gaps: the corpus stages run as without the model, and the model's edits fill the words they
    leave alone (its hamza on «الى» gives way to the lexicon's; its other edits stay)."""
    from nahawi.engine.lexicon_stage import EditPolicy

    lexicon = Lexicon({**COUNTS, "البيت": 50, "البيوت": 40})
    text = "ذهب الى في البيت"
    model = (Edit(4, 7, "إن", "hamza", original="الى", confidence=0.9),
             Edit(11, 16, "البيوت", "morphology", original="البيت", confidence=0.9))
    first = refine(text, model, lexicon, EditPolicy())
    assert [(e.replacement, e.rule_id) for e in first] == [("إن", "model"), ("البيوت", "model")]
    filled = refine(text, model, lexicon, EditPolicy(model_fills_gaps=True))
    assert [(e.replacement, e.rule_id) for e in filled] == [("إلى", "lexicon"), ("البيوت", "model")]
    assert refine(text, (), lexicon, EditPolicy(model_fills_gaps=True)) == refine(text, (), lexicon, EditPolicy())
    assert EditPolicy.from_dict({"model_fills_gaps": True}).model_fills_gaps


def _context_lexicon():
    counts = {"أن": 8000, "إن": 1500, "ان": 300, "قال": 900, "يجب": 700, "علي": 300, "على": 9000, "بن": 400,
              "الأرض": 600, "في": 2_000_000}  # a corpus-sized total, so the prior weighs as on real counts
    bigrams = {("قال", "إن"): 400, ("قال", "أن"): 10, ("يجب", "أن"): 600, ("بن", "علي"): 250,
               ("بن", "على"): 1, ("على", "الأرض"): 200}
    return Lexicon(counts, LexiconConfig(), bigrams)


def test_context_picks_the_spelling_its_neighbours_use():
    lexicon = _context_lexicon()
    assert lexicon.suggest("ان") == "أن"  # alone: the most frequent spelling
    assert lexicon.suggest_in_context("ان", "يجب", "نذهب") == "أن"
    assert lexicon.suggest_in_context("ان", "قال", "الأمر") == "إن"  # «قال إن»
    assert Lexicon(lexicon.counts).suggest_in_context("ان", "قال", "الأمر") == "أن"  # no bigrams: unigram


def test_context_keeps_a_written_word_it_prefers():
    lexicon = _context_lexicon()
    assert lexicon.suggest("علي") == "على"
    assert lexicon.suggest_in_context("علي", "بن", "</s>") is None  # «بن علي»: a name
    assert lexicon.suggest_in_context("علي", "قال", "الأرض") == "على"


def test_bigrams_round_trip_in_the_same_file(tmp_path):
    lexicon = _context_lexicon()
    save_lexicon(tmp_path / "lex.tsv.gz", lexicon.counts, lexicon.bigrams)
    loaded = load_lexicon(tmp_path / "lex.tsv.gz")
    assert loaded.counts == lexicon.counts and loaded.bigrams == lexicon.bigrams
    assert load_lexicon(tmp_path / "lex.tsv.gz").suggest_in_context("ان", "قال", "x") == "إن"


def test_neighbours_are_read_as_they_will_be_written():
    # The corpus writes «إيران» and «،»: a misspelt or Latin neighbour would hide the context that picks «إن»
    counts = {"أن": 8000, "إن": 1500, "ان": 300, "إيران": 900, "ايران": 40, "الأمر": 500, "في": 2_000_000}
    bigrams = {("إن", "إيران"): 300, ("ان", "ايران"): 30, ("،", "إن"): 600, ("،", "أن"): 20}
    lexicon = Lexicon(counts, LexiconConfig(), bigrams)
    assert lexicon.as_context(["ايران", ",", "الأمر", "?"]) == ["إيران", "،", "الأمر", "؟"]
    text = "ان ايران , ان الأمر"
    assert apply_edits(text, lexicon_edits(text, [], lexicon)) == "إن إيران , إن الأمر"
    assert lexicon.suggest_in_context("ان", "<s>", "ايران") is None  # read as written, the context is lost


def test_lexicon_edits_read_the_original_neighbours():
    text = "قال ان الأمر صعب"
    edits = lexicon_edits(text, [], _context_lexicon())
    assert [(e.original, e.replacement) for e in edits] == [("ان", "إن")]


def test_stretched_words_lose_their_tatweel_and_nothing_else():
    lexicon = Lexicon({"أكبر": 5000, "على": 90000, "الله": 80000, "ماهر": 300})
    text = "الله اكــــبر عَلــى الظالمين ـ يا ماهـر!"
    edits = lexicon_edits(text, [], lexicon)
    assert [(e.original, e.replacement, e.kind) for e in edits] == [
        ("اكــــبر", "أكبر", "hamza"), ("عَلــى", "عَلى", "other"), ("ماهـر", "ماهر", "other")]
    assert apply_edits(text, edits) == "الله أكبر عَلى الظالمين ـ يا ماهر!"  # the lone «ـ» is no word


def test_unknown_word_is_repaired_into_the_common_word_it_was_meant_to_be():
    counts = {"هذا": 20000, "هدا": 2, "النظام": 2500, "ذلك": 15000, "شيء": 1900, "كانوا": 1500, "الدين": 2100,
              "الذين": 6400}
    lexicon = Lexicon(counts)
    assert lexicon.suggest("دلك") == "ذلك" and lexicon.suggest("النضام") == "النظام"  # never seen
    assert lexicon.suggest("هدا") == "هذا"  # seen twice: 20000 >= 20 x 2
    assert lexicon.suggest("شيئا") is None  # its key differs and it adds no final hamza: no repair
    assert lexicon.suggest("كانو") == "كانوا"
    assert lexicon.suggest("الدين") is None  # a known word is never «repaired» into another one


def test_a_final_hamza_left_out_is_added_when_the_completed_word_is_far_more_common():
    counts = {"شيء": 33000, "شي": 450, "شئ": 50, "شيئ": 40, "سواء": 9000, "سوا": 30, "ما": 900000, "ماء": 8000,
              "جزء": 100, "جز": 60, "قال": 50000, "غريب": 2000}
    lexicon = Lexicon(counts, bigrams={("شيء", "غريب"): 70, ("قال", "شي"): 3})
    assert [lexicon.suggest(w) for w in ("شي", "شئ", "شيئ", "سوا")] == ["شيء", "شيء", "شيء", "سواء"]
    assert lexicon.suggest("ما") is None and lexicon.suggest("ماء") is None  # the commoner word is never completed
    assert lexicon.suggest("جز") is None  # 100 < 20 x 60: the repair ratio decides
    # The context weighs the completion against the written word only, never the other incomplete spellings:
    # `شئ` (fold `شي`) becomes `شيء`, not the commoner wrong `شي`
    assert lexicon.suggest_in_context("شئ", "قال", "غريب") == "شيء"
    assert Lexicon(counts, LexiconConfig(repair_ratio=math.inf)).suggest("شي") is None  # repairs off: none


def test_a_spelling_far_more_frequent_than_the_written_one_passes_the_gate():
    from nahawi.lexicon_gate import LexiconGate

    counts = {"هذه": 100_000, "هذة": 10, "فيه": 4_000, "فية": 10, "في": 2_000_000}
    gate = LexiconGate({"bias": 0.0, "letters=ة>ه": -5.0})  # this gate vetoes every ة → ه
    vetoing = Lexicon(counts, lexicon_config({"lexicon_gate": 0.5}), gate=gate)
    assert vetoing.suggest("هذة") == "هذه" and vetoing.suggest_in_context("هذة") is None
    sure = Lexicon(counts, lexicon_config({"lexicon_gate": 0.5, "lexicon_sure_ratio": 1000}), gate=gate)
    assert sure.config.sure_ratio == 1000
    found = sure.suggestion_in_context("هذة")
    assert found is not None and found[0] == "هذه" and found[1] < 0.5  # 10,000 times: made, with the gate's doubt
    assert sure.suggest_in_context("فية") is None  # 400 times: the gate decides


def test_a_bare_alif_where_no_bare_alif_verb_stands_takes_the_initial_hamza_ratio():
    # the shipped corpus' counts: 18.6x and 16.3x, below the policy's ratio 20; «اعتقد» is a verb too
    counts = {"الأكراد": 928, "الاكراد": 50, "أفغانستان": 931, "افغانستان": 57, "أعتقد": 3757, "اعتقد": 664,
              "الاستقلال": 5000, "في": 100_000, "للاجئين": 40, "للأجئين": 3, "باسم": 900}
    plain = Lexicon(counts, lexicon_config({"lexicon_ratio": 20}))
    assert plain.suggest("الاكراد") is None and plain.suggestion_in_context("افغانستان", "في") is None
    nouns = Lexicon(counts, lexicon_config({"lexicon_ratio": 20, "lexicon_initial_hamza_ratio": 4}))
    assert nouns.config.initial_hamza_ratio == 4.0
    assert nouns.suggest("الاكراد") == "الأكراد"  # after the article: a noun
    assert nouns.suggestion_in_context("افغانستان", "في")[0] == "أفغانستان"  # after a preposition
    assert nouns.suggest("افغانستان") is None  # alone it could begin a sentence with a verb: the ratio holds
    assert nouns.suggestion_in_context("اعتقد", "<s>") is None  # "he believed": a word too
    assert nouns.suggestion_in_context("اعتقد", "من") is None  # «من» is also "who": a verb may follow
    assert nouns.suggestion_in_context("اعتقد", "انا")[0] == "أعتقد"  # after «أنا»: the first person
    assert nouns.suggest("الاستقلال") is None and nouns.suggest("باسم") is None  # nouns without a hamza spelling
    assert nouns.suggest("للاجئين") is None  # the hamza spelling is the rarer one


def test_the_shipped_default_writes_the_hamza_of_a_noun_and_keeps_the_verb(default_engine):
    text = "قاتل الاكراد في افغانستان، اعتقد انه صادق."  # typed: the marks joined to the words
    fixed = default_engine.correct(text)
    assert fixed.corrected == "قاتل الأكراد في أفغانستان، اعتقد أنه صادق."
    assert sorted(edit.original for edit in fixed.edits) == ["افغانستان", "الاكراد", "انه"]


def test_a_neighbour_the_spacing_splits_is_read_as_the_part_beside_the_word(default_engine):
    # `شاءالله` is written `شاء الله`: the word before reads `شاء`, so `ان` is the «إن» of `إن شاء الله`,
    # not the «أن» the unsplit word left to the counts
    fixed = default_engine.correct("سننتصر ان شاءالله قريبا")
    assert fixed.corrected == "سننتصر إن شاء الله قريبا."
    assert [edit.original for edit in fixed.edits if edit.original] == ["ان", "شاءالله"]


def test_a_known_word_is_repaired_only_into_a_spelling_sure_ratio_times_more_frequent():
    counts = {"هذا": 177_541, "هدا": 23, "هدأ": 159, "الدين": 2100, "الذين": 6400, "منذ": 32_364, "مند": 24}
    plain = Lexicon(counts)
    assert plain.suggest("هدا") is None  # known (23 > unknown_below), and no sure ratio set
    sure = Lexicon(counts, lexicon_config({"lexicon_sure_ratio": 1000}))
    assert sure.suggest("هدا") == "هذا" and sure.suggest("مند") == "منذ"  # 7,719x, 1,349x
    assert sure.suggest("الدين") is None  # 3x: both are words
    assert sure.suggest("هدأ") is None  # 1,117x, but the writer's hamza would be taken away
    off = Lexicon(counts, lexicon_config({"lexicon_sure_ratio": 1000, "lexicon_repair": False}))
    assert off.suggest("هدا") is None  # repairs off: none, however sure
    assert only_supplies("دلك", "ذلك") and only_supplies("ضربو", "ضربوا") and only_supplies("شي", "شيء")
    assert not only_supplies("هدأ", "هذا") and not only_supplies("حتي", "حتى")


def test_a_repair_never_takes_away_a_mark_the_writer_made():
    counts = {"موتو": 400, "الهدا": 300, "أرامكو": 900, "كانوا": 1500, "ذلك": 15000}
    lexicon = Lexicon(counts)
    assert lexicon.suggest("موتوا") is None  # the final «وا» stays
    assert lexicon.suggest("ألهذا") is None  # «ذ» is not turned into «د»
    assert lexicon.suggest("أرامكوا") is None
    assert lexicon.suggest("كانو") == "كانوا" and lexicon.suggest("دلك") == "ذلك"  # marks supplied: fine
    off = Lexicon(counts, lexicon_config({"lexicon_repair": False}))
    assert off.suggest("دلك") is None and off.suggest("هدا") is None


def test_a_copy_with_the_writers_counts_does_not_reuse_the_corpus_suggestions():
    """`suggest` remembers its answers; a copy of the lexicon over other tables (a writer's overlay) must
    answer from its own counts, even for a word the corpus lexicon was asked about first."""
    from nahawi.profile.overlay import with_overlay

    corpus = Lexicon({"الكرة": 100, "الكره": 2})
    assert corpus.suggest("الكره") == "الكرة"
    writer = with_overlay(corpus, {"الكره": 5}, {})  # the writer means «الكره» (hatred)
    assert writer.suggest("الكره") is None
    assert corpus.suggest("الكره") == "الكرة"


def test_a_joined_word_takes_the_spelling_its_neighbours_want():
    """`و ان كان`: the detached «و» is joined, and the joined word is spelt as its context reads it — «وإن»
    before «كان» (the corpus's «وإن كان»), not the commoner «وأن»."""
    from nahawi.engine.lexicon_stage import EditPolicy
    from nahawi.spacing import Spacing

    counts = {"وأن": 9000, "وإن": 3000, "وان": 20, "و": 50, "كان": 40_000, "الله": 60_000, "كريم": 3_000,
              "والله": 8_000, "وكان": 9_000, "في": 2_000_000}
    bigrams = {("وإن", "كان"): 900, ("وأن", "كان"): 20}
    lexicon = Lexicon(counts, LexiconConfig(), bigrams)
    text = "الله كريم و ان كان"
    edits = refine(text, (), lexicon, EditPolicy(), Spacing(lexicon))
    assert apply_edits(text, edits) == "الله كريم وإن كان"
    assert lexicon.suggest("وان") == "وأن"  # alone, the commoner spelling
