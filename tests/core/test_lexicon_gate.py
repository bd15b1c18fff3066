"""The lexicon gate: its features of one suggestion, its veto inside the lexicon, its file format."""
import json

import pytest

from nahawi.errors import ModelError
from nahawi.lexicon import SENTENCE_END, SENTENCE_START, Lexicon, LexiconConfig
from nahawi.lexicon_gate import LexiconGate, gate_features, letter_changes, load_gate, save_gate, supplied

COUNTS = {"أنا": 5000, "انا": 40, "إنا": 300, "المدرسة": 3000, "المدرسه": 2, "ذهبت": 800, "إلى": 9000}


@pytest.fixture
def lexicon():
    return Lexicon(COUNTS, LexiconConfig(ratio=1.5))


def test_letter_changes_name_the_letters_and_where_they_are():
    assert letter_changes("انا", "أنا") == ["ا>أ@I"]
    assert letter_changes("المدرسه", "المدرسة") == ["ه>ة@F"]
    assert letter_changes("والى", "وإلى") == ["ا>إ@P"]  # right after the proclitic و
    assert letter_changes("الاسلام", "الإسلام") == ["ا>إ@P"]  # right after «ال»
    assert letter_changes("دلك", "ذالك") == []  # not letter for letter


def test_features_describe_the_suggestion_never_the_word(lexicon):
    features = gate_features(lexicon, "إنا", "أنا", SENTENCE_START, "ذهبت")
    assert {"bias", "change=إ>أ@I", "letters=إ>أ", "sentence_start", "length=3"} <= set(features)
    assert not any("إنا" in f or "أنا" in f for f in features)
    assert "repair" in gate_features(lexicon, "دهبت", "ذهبت", "أنا", SENTENCE_END)


def test_a_repair_names_what_it_supplies():
    lexicon = Lexicon({"ضربوا": 80, "شيء": 500, "ذلك": 900, "الظلم": 300})
    assert lexicon.suggest("ضربو") == "ضربوا"  # the silent alif of a plural verb, left out
    features = gate_features(lexicon, "ضربو", "ضربوا", "هم", SENTENCE_END)
    assert {"repair", "supplies=وا"} <= set(features)
    assert "supplies=ء" in gate_features(lexicon, "شي", "شيء", "أي", SENTENCE_END)
    assert supplied("دلك", "ذلك") == ["ذ"] and supplied("الضلم", "الظلم") == ["ظ"]
    assert supplied("ابو", "ابوا") == ["وا"] and supplied("انا", "أنا") == []
    assert not any(f.startswith("supplies=") for f in gate_features(lexicon, "انا", "أنا", SENTENCE_START, "ذهبت"))


def test_older_weights_give_the_new_features_nothing():
    """A gate fitted before a feature existed scores a suggestion as it always did."""
    lexicon = Lexicon({"ضربوا": 80})
    gate = LexiconGate({"bias": 0.2, "repair": 0.5})
    features = gate_features(lexicon, "ضربو", "ضربوا", "هم", SENTENCE_END)
    assert gate.probability(features) == pytest.approx(gate.probability([f for f in features
                                                                          if not f.startswith("supplies=")]))


def test_gate_vetoes_suggestions_below_its_threshold(lexicon):
    assert lexicon.suggest_in_context("إنا", SENTENCE_START, "ذهبت") == "أنا"
    # Changing a hamza the writer wrote is penalised; adding one to a bare alif is not.
    gate = LexiconGate({"bias": 0.5, "letters=إ>أ": -3.0})
    gated = Lexicon(COUNTS, LexiconConfig(ratio=1.5, gate_threshold=0.5), gate=gate)
    assert gated.suggest_in_context("إنا", SENTENCE_START, "ذهبت") is None
    assert gated.suggest_in_context("انا", SENTENCE_START, "ذهبت") == "أنا"
    assert gated.confidence("انا", "أنا") == pytest.approx(1 / (1 + 2.718281828 ** -0.5), abs=1e-4)


def test_gate_file_round_trips_and_refuses_bad_files(tmp_path):
    path = tmp_path / "lexicon_gate.json"
    save_gate(path, {"bias": 0.25, "letters=ه>ة": 1.5}, {"examples": 2})
    assert load_gate(path).weights == {"bias": 0.25, "letters=ه>ة": 1.5}
    payload = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**payload, "features_version": 99}), encoding="utf-8")
    with pytest.raises(ModelError, match="features version 99"):
        load_gate(path)
    path.write_text('{"format": "nahawi-lexicon-gate", "features_ver', encoding="utf-8")
    with pytest.raises(ModelError, match="unreadable"):
        load_gate(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ModelError, match="unreadable"):
        load_gate(path)
