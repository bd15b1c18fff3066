"""The personal profile on disk (issue 17): private folder and files, the dictionary, and every file read
safely — a bad line is an error naming the file and the line, and nothing is taken from that file."""
import json
import os
import re
import stat

import pytest

from nahawi.engine import Corrector, CorrectorOptions
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.profile import Profile, ProfileError, default_profile_dir, read_decisions
from nahawi.profile.decisions import parse_decisions
from nahawi.profile.store import DECISIONS, DICTIONARY, LEARNED, LEARNED_FORMAT, OVERLAY, SETTINGS

SAMPLE = DEFAULT_MODEL_DIR.parent / "sample.txt"
TEXT = "قال ان الولد ذهب الى المدرسه"
GOOD = {"text": TEXT, "start": 4, "end": 6, "replacement": "إن", "kind": "hamza", "decision": "ignored"}


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_is_0700_and_every_file_0600(tmp_path):
    folder = tmp_path / "profile"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    profile = Profile(folder)
    profile.add_word("شمهروش")
    profile.append_decisions([GOOD])
    profile.write_overlay({"الكره": 2}, {("عن", "الكره"): 1})
    profile.write_learned({"format": LEARNED_FORMAT, "thresholds": {"hamza": 0.5}})
    assert _mode(folder) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == ["decisions.jsonl", "dictionary.txt", "learned.json", "overlay.tsv"]
    assert all(_mode(p) == 0o600 for p in folder.iterdir())


def test_the_default_folder_is_under_the_data_dir_and_overridable(tmp_path, monkeypatch):
    monkeypatch.delenv("NAHAWI_PROFILE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_profile_dir() == tmp_path / "data" / "nahawi" / "profile"
    monkeypatch.setenv("NAHAWI_PROFILE", str(tmp_path / "mine"))
    assert Profile().path == tmp_path / "mine"
    assert not (tmp_path / "mine").exists()  # nothing is created until something is written


def test_dictionary_words_comments_and_bad_lines(tmp_path):
    profile = Profile(tmp_path)
    path = tmp_path / DICTIONARY
    path.write_text("# كلماتي\nالكتـــاب\n\nكلمتان اثنتان\nنحوي\n" + "ب" * 80 + "\nنحوي\n", encoding="utf-8")
    read = profile.dictionary()
    assert read.words == ("الكتاب", "نحوي")
    assert read.problems == (f"{path}:4: not a single word", f"{path}:6: longer than 64 characters")
    assert profile.add_word(" شمهروش ") == "شمهروش"
    with pytest.raises(ValueError, match="control character"):
        profile.add_word("كلمة\u202e")
    assert profile.dictionary().words == ("الكتاب", "نحوي", "شمهروش")


def test_update_dictionary_keeps_words_another_program_added(tmp_path):
    """The app rewrites the dictionary when its settings change; a word the server appended since the app
    read the file must survive that."""
    mine, theirs = Profile(tmp_path), Profile(tmp_path)
    mine.add_word("أول")
    theirs.add_word("ثان")
    assert mine.update_dictionary(add=["ثالث"], remove=["أول"]) == ("ثان", "ثالث")


def test_a_dictionary_that_is_not_utf8_names_the_line(tmp_path):
    (tmp_path / DICTIONARY).write_bytes("كلمة\n".encode() + b"\xff\xfe\n")
    with pytest.raises(ProfileError, match=r"dictionary.txt:2: not valid UTF-8"):
        Profile(tmp_path).dictionary()


@pytest.mark.parametrize("line, message", [
    ("الكره\tكثير", "overlay.tsv:3: expected 'word<TAB>count'"),
    ("ثلاث كلمات هنا\t4", "overlay.tsv:3: expected"),
    ("الكره 5", "overlay.tsv:3: expected"),
])
def test_a_bad_overlay_line_is_named_and_the_engine_refuses_the_profile(tmp_path, line, message):
    (tmp_path / OVERLAY).write_text(f"# comment\nالكره\t3\n{line}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        Profile(tmp_path).overlay()
    with pytest.raises(ProfileError, match=message):
        Corrector.from_dir(None, device="cpu", options=CorrectorOptions(profile=tmp_path))


@pytest.mark.parametrize("content, message", [
    ('{"format": "nahawi-profile-learned/1",\n "gate": {"bias": NaN}}', "gate.bias: expected a number"),
    ('{"format": "nahawi-profile-learned/1",\n "thresholds": {"hamza": 3}}', "thresholds.hamza"),
    ('{"format": "nahawi-profile-learned/1",\n "weights": {}}', "unknown key 'weights'"),
    ('{"format": "nahawi-profile-learned/1",\n "suppressed_pairs": [["ان"]]}', r"suppressed_pairs\[0\]"),
    ('{"format": "nahawi-profile-learned/1",\n "punctuation": {"w=,": {"،": 1e9}}}', "punctuation"),
    ('{"format": "nahawi-profile-learned/1",\n\n "gate": }', r"learned.json:3: invalid JSON"),
    ('{"format": "other"}', "not a nahawi-profile-learned/1 file"),
    ('{"format": "nahawi-profile-learned/1", "thresholds": [0.5]}', "thresholds: expected a JSON object"),
    ('{"format": "nahawi-profile-learned/1", "suppressed_contexts": {}}', "suppressed_contexts: expected a JSON list"),
])
def test_a_hostile_learned_file_is_refused_by_name(tmp_path, content, message):
    (tmp_path / LEARNED).write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        Profile(tmp_path).learned()


@pytest.mark.parametrize("record, message", [
    ("not json", "invalid JSON"),
    ('["a list"]', "expected a JSON object"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "kind"}), "missing 'kind'"),
    (json.dumps({**GOOD, "start": "4"}), "'start' must be an integer"),
    (json.dumps({**GOOD, "start": True}), "'start' must be an integer"),
    (json.dumps({**GOOD, "end": 400}), "span 4..400 is outside the text"),
    (json.dumps({**GOOD, "kind": "grammar"}), "unknown kind 'grammar'"),
    (json.dumps({**GOOD, "decision": "rejected"}), "'decision' must be"),
    (json.dumps({**GOOD, "original": "لو"}), "offsets must be code points"),
    (json.dumps({**GOOD, "replacement": "ان"}), "already has"),
    (json.dumps({**GOOD, "colour": "red"}), "unknown key 'colour'"),
])
def test_a_bad_decision_line_is_an_error_naming_the_line(record, message):
    lines = [json.dumps(GOOD, ensure_ascii=False), "", record]
    with pytest.raises(ProfileError, match=f"feedback.jsonl:3: .*{message}"):
        parse_decisions(lines, "feedback.jsonl")


def test_decisions_round_trip_with_the_fields_nahawi_correct_gives(tmp_path):
    record = {**GOOD, "original": "ان", "rule_id": "lexicon", "confidence": 0.65}
    (tmp_path / "f.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (decision,) = read_decisions(tmp_path / "f.jsonl")
    assert (decision.original, decision.replacement, decision.rule_id, decision.accepted) == ("ان", "إن", "lexicon", False)
    Profile(tmp_path / "p").append_decisions([decision.to_dict()])
    assert read_decisions(tmp_path / "p" / "decisions.jsonl") == [decision]


def test_an_empty_profile_changes_nothing(tmp_path):
    texts = SAMPLE.read_text(encoding="utf-8").splitlines()
    plain = Corrector.from_dir(None, device="cpu").correct_batch(texts)
    adapted = Corrector.from_dir(None, device="cpu", options=CorrectorOptions(profile=tmp_path / "none"))
    assert adapted.correct_batch(texts) == plain
    assert not (tmp_path / "none").exists()


def test_dictionary_words_are_never_changed_with_a_profile(tmp_path):
    Profile(tmp_path).add_word("المدرسه")
    edits = Corrector.from_dir(None, device="cpu", options=CorrectorOptions(profile=tmp_path)).correct(TEXT).edits
    assert "المدرسه" not in [e.original for e in edits] and "الى" in [e.original for e in edits]


def test_recording_decisions_off_writes_nothing_to_the_log(tmp_path):
    profile = Profile(tmp_path / "p")
    assert profile.records_decisions() and not (tmp_path / "p").exists()  # on, and nothing created to say so
    profile.set_records_decisions(False)
    assert json.loads(profile.file(SETTINGS).read_text(encoding="utf-8")) == {"record_decisions": False}
    assert _mode(profile.file(SETTINGS)) == 0o600
    assert Profile(tmp_path / "p").append_decisions([GOOD]) == 0
    assert not profile.file(DECISIONS).exists()
    profile.set_records_decisions(True)
    assert profile.append_decisions([GOOD]) == 1 and len(read_decisions(profile.file(DECISIONS))) == 1
    assert profile.reset() == [DECISIONS] and profile.records_decisions()  # reset keeps the writer's settings


@pytest.mark.parametrize("content, message", [
    ('{"record_decisions": "no"}', 'record_decisions: expected true or false, got "no"'),
    ('{"record": false}', "unknown setting 'record'; one of record_decisions"),
    ("[false]", "expected a JSON object of settings"),
    ('{"record_decisions": fals', "settings.json:1: invalid JSON")])
def test_a_bad_settings_file_is_named_and_no_decision_is_written(tmp_path, content, message):
    profile = Profile(tmp_path)
    profile.file(SETTINGS).write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(message)):
        profile.append_decisions([GOOD])
    assert not profile.file(DECISIONS).exists()
    with pytest.raises(ProfileError, match="settings.json"):
        profile.set_records_decisions(True)  # the writer's file is not overwritten
    assert profile.file(SETTINGS).read_text(encoding="utf-8") == content
