"""The tagger stage of the engine on a real exported int8 tagger: it makes the corrections it was taught, as
'tagger' edits on the user's own spacing, never touches text outside its edits, gives a sentence the same
edits whatever shares its batch, obeys the policy's thresholds, and refuses a tag vocabulary that is not its
graph's."""
from __future__ import annotations

import json
import shutil

import pytest

from export.fixtures import TAGGER_PAIRS
from nahawi.contract import apply_edits
from nahawi.engine import Corrector, CorrectorOptions
from nahawi.errors import ModelError

OPTIONS = CorrectorOptions(threads=1, cache_size=0)


@pytest.fixture(scope="module")
def corrector(tagger_model_dir):
    return Corrector.from_dir(tagger_model_dir, device="cpu", options=OPTIONS)


def test_the_tagger_makes_the_corrections_it_was_taught(corrector):
    assert corrector.tagger is not None and not corrector.uses_model  # the seq2seq is not decoded
    fixed = 0
    for source, target in TAGGER_PAIRS:
        correction = corrector.correct(source)
        assert correction.corrected == apply_edits(source, correction.edits)
        assert all(e.rule_id == "tagger" and 0.0 < e.confidence <= 1.0 for e in correction.edits)
        fixed += correction.corrected.replace(" ،", "،") == target.replace(" ،", "،")
    assert fixed >= 3
    assert not corrector.model.loaded  # the seq2seq's graphs were never opened


def test_edits_land_on_the_users_spacing_and_nothing_else_changes(corrector):
    text = "قال  ان الولد\tذهب الى المدرسه؟ 🙂 abc\n\nيجب ان نذهب الى البيت"
    correction = corrector.correct(text)
    assert correction.edits and correction.corrected == apply_edits(text, correction.edits)
    cursor = 0
    for edit in correction.edits:  # every character between edits is the writer's
        assert edit.start >= cursor and text[edit.start:edit.end] == edit.original
        cursor = edit.end
    assert "قال  " in correction.corrected and "\t" in correction.corrected and "🙂 abc\n\n" in correction.corrected
    assert "إلى" in correction.corrected


def test_a_sentence_gets_the_same_edits_alone_and_in_any_batch(corrector):
    texts = [source for source, _ in TAGGER_PAIRS] + ["تعد القراءه من اهم وسائل المعرفه " * 6]
    alone = [corrector.correct(text).edits for text in texts]
    assert any(alone)  # the batch holds real edits to compare
    assert [c.edits for c in corrector.correct_batch(texts)] == alone
    assert [c.edits for c in corrector.correct_batch(texts[::-1])] == alone[::-1]


def test_policy_thresholds_and_the_option_turn_it_off(tagger_model_dir, tmp_path, corrector):
    source = TAGGER_PAIRS[0][0]
    assert corrector.correct(source).edits
    off = Corrector.from_dir(tagger_model_dir, device="cpu", options=CorrectorOptions(threads=1, tagger=False))
    assert off.tagger is None
    silent = tmp_path / "silent"
    shutil.copytree(tagger_model_dir, silent)
    document = json.loads((silent / "model.json").read_text(encoding="utf-8"))
    document["policy"] = {**document.get("policy", {}), "kinds": [], "tagger_word_threshold": 1.01,
                          "tagger_mark_threshold": 1.01}
    (silent / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    quiet = Corrector.from_dir(silent, device="cpu", options=OPTIONS)
    assert quiet.tagger is not None and quiet.correct(source).edits == ()


def test_a_kind_group_threshold_silences_that_kind_only(tagger_model_dir, tmp_path, corrector):
    """A policy may trust the tagger with hamza and not with spacing: the kind's own threshold wins over the
    word threshold, the other kinds keep theirs."""
    from nahawi.kinds import KIND_GROUP

    edits = [e for source, _ in TAGGER_PAIRS for e in corrector.correct(source).edits]
    groups = {KIND_GROUP[e.kind] for e in edits if e.kind in KIND_GROUP}
    assert groups, "the taught pairs give word edits"
    silenced = min(groups)
    model = tmp_path / "per-kind"
    shutil.copytree(tagger_model_dir, model)
    document = json.loads((model / "model.json").read_text(encoding="utf-8"))
    document["policy"] = {**document.get("policy", {}), "tagger_kind_thresholds": {silenced: 1.01}}
    (model / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    per_kind = Corrector.from_dir(model, device="cpu", options=OPTIONS)
    shown = [e for source, _ in TAGGER_PAIRS for e in per_kind.correct(source).edits]
    assert not any(KIND_GROUP.get(e.kind) == silenced and e.rule_id == "tagger" for e in shown)
    assert [e for e in shown if e.rule_id == "tagger"] == [
        e for e in edits if e.rule_id == "tagger" and KIND_GROUP.get(e.kind) != silenced]
    document["policy"]["tagger_kind_thresholds"] = {"syntax": 0.5}
    (model / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError, match="tagger_kind_thresholds"):
        Corrector.from_dir(model, device="cpu", options=OPTIONS)


def test_a_tag_vocabulary_from_another_model_is_refused(tagger_model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tagger_model_dir, other)
    tags = json.loads((other / "tagger_tags.json").read_text(encoding="utf-8"))
    tags["rewrites"] = tags["rewrites"][:-1]
    (other / "tagger_tags.json").write_text(json.dumps(tags, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError, match="tagger_tags.json"):  # its checksum no longer matches
        Corrector.from_dir(other, device="cpu", options=OPTIONS)
    unchecked = CorrectorOptions(threads=1, verify_hashes=False)
    document = json.loads((other / "model.json").read_text(encoding="utf-8"))
    document["files"].pop("tagger_tags.json")
    (other / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError, match="word tags"):
        Corrector.from_dir(other, device="cpu", options=unchecked)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA GPU")
def test_a_tagger_model_is_quiet_without_a_gpu(tagger_model_dir):
    """onnxruntime-gpu without CUDA libraries logged two red lines when the tagger's session tried CUDA."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", "from nahawi.cli import main; main()", "correct", "--model",
                           str(tagger_model_dir), "--device", "auto"], input=TAGGER_PAIRS[0][0], text=True,
                          capture_output=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and done.stderr == ""


def test_pieces_from_one_call_per_line_are_the_pieces_of_each_token(corrector):
    """encode_tokens encodes the line once and cuts it at word-start pieces: the same pieces as token by
    token, also for a ligature that spells a phrase, characters that normalise away, unknown characters and
    a lone surrogate (those fall back to one call a token)."""
    codec = corrector.tagger.codec
    lines = [TAGGER_PAIRS[0][0].split(), ["ﷺ", "محمد"], ["abc", "123", "٣٤٥", "🙂"], ["\u200b", "ب"],
             ["ـــ", "ﻻ", "Ａ"], ["\ud800", "كلمة"], ["كلمة\u200c", "ب"]]
    for tokens in lines:
        assert codec.encode_tokens(tokens) == [codec.encode_tokens([token])[0] for token in tokens], tokens


def test_the_tags_own_alignment_is_the_full_alignment(corrector):
    """The stage aligns only the runs of changed words (a kept word matches itself): on real tag choices —
    rewrites, splits, joins across deleted words, marks — that is the alignment of the whole sentence."""
    from nahawi.edits.align import align_tokens
    from nahawi.engine.tagger_stage import aligned_outputs
    from nahawi.tags import DELETE, JOIN, KEEP, TagChoice, TaggedToken, apply_choices
    from training.tagger_data import derive_tags

    cases = [derive_tags(source.split(), target.split()) for source, target in TAGGER_PAIRS]
    words = ["ذهب", "الى", "المدرسه", "و", "كتب", "الدرس", "في", "البيت"]
    cases.append([TaggedToken(w, tag, mark) for w, tag, mark in zip(
        words, [KEEP, KEEP, JOIN, DELETE, KEEP, KEEP, JOIN, KEEP], ["", "", "", "", "،", "", "", "."])])
    for tagged in cases:
        choices = [TagChoice(t, 0.9, 0.8) for t in tagged]
        norm = [t.token for t in tagged]
        hyp, ops = aligned_outputs(choices, norm)
        assert [(h.text, h.probs[0]) for h in hyp] == apply_choices(choices)
        assert ops == align_tokens(norm, [h.text for h in hyp])


def test_an_edit_carries_the_probability_of_the_tags_behind_it():
    """A deleted word is scored by its DELETE tag, not by the word kept after it; a join by its JOIN tag; a
    word's rewrite and the mark after it each by their own decision."""
    from nahawi.engine.mapping import model_input
    from nahawi.engine.tagger_stage import TaggerStage
    from nahawi.tags import DELETE, JOIN, KEEP, TagChoice, TaggedToken, rewrite_between

    text = "لا أتصو ر أن الشعب الشعب يصمد امام العدو"
    source = model_input(text)
    words = [t.text for t in source.tokens]
    decisions = {1: (JOIN, 0.6, "", 0.9), 5: (DELETE, 0.3, "", 0.9),
                 7: (rewrite_between("امام", "أمام"), 0.8, "،", 0.55)}
    choices = []
    for k, word in enumerate(words):
        tag, word_p, mark, mark_p = decisions.get(k, (KEEP, 0.99, "", 0.99))
        choices.append(TagChoice(TaggedToken(word, tag, mark), word_p, mark_p))
    edits = TaggerStage.segment_edits(text, source, choices, [False] * len(words))
    assert apply_edits(text, edits) == "لا أتصور أن الشعب يصمد أمام، العدو"
    assert [(e.original, e.replacement, e.confidence) for e in edits] == [
        ("أتصو ر", "أتصور", 0.6), (" الشعب", "", 0.3), ("امام", "أمام", 0.8), ("", "،", 0.55)]


def test_two_passes_read_again_what_the_trusted_edits_wrote(corrector, tagger_model_dir, tmp_path):
    """The second pass reads the text the first pass's trusted edits wrote; its trusted edits, composed onto
    those, write exactly what the two passes wrote. A policy asks for it with tagger_passes 2."""
    stage = corrector.tagger
    texts = [source for source, _ in TAGGER_PAIRS] + ["قال  ان الولد\tذهب الى المدرسه؟ 🙂 abc"]

    def trusted(edit):
        return edit.confidence >= 0.5

    once, twice = stage.edits(texts), stage.edits(texts, trusted=trusted)
    assert any(any(map(trusted, edits)) for edits in once)  # the second pass has something to read
    for text, first, both in zip(texts, once, twice, strict=True):
        kept = tuple(e for e in first if trusted(e))
        written = apply_edits(text, kept)
        [again] = stage.edits([written])
        again = [e for e in again if trusted(e)]
        assert apply_edits(text, both) == (apply_edits(written, again) if kept else apply_edits(text, first))
        assert all(text[e.start:e.end] == e.original and e.rule_id == "tagger" for e in both)

    two = tmp_path / "two"
    shutil.copytree(tagger_model_dir, two)
    document = json.loads((two / "model.json").read_text(encoding="utf-8"))
    document["policy"] = {**document.get("policy", {}), "tagger_passes": 2}
    (two / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    engine = Corrector.from_dir(two, device="cpu", options=OPTIONS)
    assert engine.stages.policy.tagger_passes == 2
    for text in texts:
        correction = engine.correct(text)
        assert correction.corrected == apply_edits(text, correction.edits)
    document["policy"]["tagger_passes"] = 3
    (two / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError, match="tagger_passes"):
        Corrector.from_dir(two, device="cpu", options=OPTIONS)
