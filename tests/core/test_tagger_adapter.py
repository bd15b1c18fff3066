"""The writer's adapter on the edit tagger (issue 17), on a real exported tiny tagger and real Arabic: an
adapter with nothing learned is the tagger exactly; fitted on an ignored tagger suggestion it stops making
it — in another sentence too — and keeps the suggestions the writer accepted; `nahawi adapt` keeps it in the
profile (0600) and reset forgets it; an adapter fitted on another tagger is not used; a hostile or broken
adapter file is refused with a message, never unpickled."""
from __future__ import annotations

import dataclasses
import io
import os
import pickle
import stat
import zipfile

import numpy as np
import pytest

from export.fixtures import TAGGER_PAIRS
from nahawi.engine import Corrector, CorrectorOptions
from nahawi.engine.mapping import model_input
from nahawi.profile import Profile
from nahawi.profile.adapt import adapt
from nahawi.profile.adapter import HeadAdapter, TaggerAdapter, load_adapter
from nahawi.profile.adapter_fit import AdapterConfig, fit_adapter
from nahawi.profile.decisions import Decision
from nahawi.profile.store import ADAPTER, ProfileError
from nahawi.profile.writer import WriterModel

OPTIONS = CorrectorOptions(threads=1, cache_size=0, lexicon=False, punctuation=False, spacing=False)
TEXT = TAGGER_PAIRS[0][0]  # قال ان الولد ذهب الى المدرسه
ELSEWHERE = "ذهب الولد الى المدرسه"  # the same الى → إلى in another sentence


@pytest.fixture(scope="module")
def corrector(tagger_model_dir):
    return Corrector.from_dir(tagger_model_dir, device="cpu", options=OPTIONS)


def _edits(corrector, text):
    return {(e.original, e.replacement) for e in corrector.correct(text).edits}


def _decisions(corrector, text, ignored):
    return [Decision(text, e.start, e.end, e.replacement, e.kind, "ignored" if e.original in ignored
                     else "accepted", e.rule_id) for e in corrector.correct(text).edits]


def _adapted(corrector, adapter):
    corrector.adapt_to(WriterModel(adapter=adapter))
    return corrector


def test_an_adapter_that_learned_nothing_is_the_tagger_exactly(corrector):
    stage = corrector.tagger
    d = stage.outputs([model_input(TEXT)], hidden=True)[0].word_hidden.shape[1]
    zero = TaggerAdapter(HeadAdapter(np.ones((4, d), np.float32), np.zeros((len(stage.vocab), 4), np.float32), 2.0),
                         HeadAdapter(np.ones((4, d), np.float32), np.zeros((len(stage.vocab.marks), 4), np.float32),
                                     2.0), stage.fingerprint)
    plain = [e for c in corrector.correct_batch([TEXT, ELSEWHERE]) for e in c.edits]
    try:
        adapted = [e for c in _adapted(corrector, zero).correct_batch([TEXT, ELSEWHERE]) for e in c.edits]
        assert [dataclasses.replace(e, confidence=0) for e in adapted] == [
            dataclasses.replace(e, confidence=0) for e in plain]
        assert [e.confidence for e in adapted] == pytest.approx([e.confidence for e in plain], abs=1e-6)
    finally:
        corrector.adapt_to(None)


def test_an_ignored_suggestion_goes_and_the_accepted_ones_stay(corrector):
    before = _edits(corrector, TEXT)
    assert ("الى", "إلى") in before and len(before) >= 3 and ("الى", "إلى") in _edits(corrector, ELSEWHERE)
    report = fit_adapter(corrector.tagger, _decisions(corrector, TEXT, ignored={"الى"}))
    assert report.adapter is not None and report.word_decided == len(before)
    try:
        after = _edits(_adapted(corrector, report.adapter), TEXT)
        assert after == before - {("الى", "إلى")}  # the ignored one only
        assert ("الى", "إلى") not in _edits(corrector, ELSEWHERE)  # the tagger learned it, not a memory
    finally:
        corrector.adapt_to(None)
    assert _edits(corrector, TEXT) == before  # without the writer, the shipped tagger


def test_an_adapter_fitted_on_another_tagger_is_not_used(corrector):
    report = fit_adapter(corrector.tagger, _decisions(corrector, TEXT, ignored={"الى"}))
    foreign = dataclasses.replace(report.adapter, tagger_sha256="0" * 64)
    try:
        assert ("الى", "إلى") in _edits(_adapted(corrector, foreign), TEXT)
    finally:
        corrector.adapt_to(None)


def test_adapt_keeps_it_in_the_profile_and_reset_forgets_it(tagger_model_dir, tmp_path):
    engine = Corrector.from_dir(tagger_model_dir, device="cpu", options=OPTIONS)
    profile = Profile(tmp_path / "profile")
    steps = []
    report = adapt(profile, engine, feedback=_decisions(engine, TEXT, ignored={"الى"}),
                   adapter_config=AdapterConfig(steps=50), progress=lambda done, total: steps.append((done, total)))
    assert report.adapter["fitted"] and report.adapter["steps"] == 50
    assert steps[-1] == (50, 50) and len(steps) > 10  # the adapter's steps are the progress
    path = profile.file(ADAPTER)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert ("الى", "إلى") not in _edits(engine, ELSEWHERE)  # adapt left the engine adapted
    fresh = Corrector.from_dir(tagger_model_dir, device="cpu",
                               options=dataclasses.replace(OPTIONS, profile=str(profile.path)))
    assert ("الى", "إلى") not in _edits(fresh, ELSEWHERE)  # and a new engine reads it from the profile
    assert ADAPTER in profile.reset() and not path.exists()


def test_a_broken_or_hostile_adapter_file_is_refused(corrector, tmp_path):
    report = fit_adapter(corrector.tagger, _decisions(corrector, TEXT, ignored={"الى"}))
    good = tmp_path / "adapter.npz"
    report.adapter.save(good)
    loaded = load_adapter(good)
    assert np.array_equal(loaded.word.up, report.adapter.word.up) and loaded.tagger_sha256 == corrector.tagger.fingerprint
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ProfileError, match="truncated.npz"):
        load_adapter(truncated)
    hostile = tmp_path / "hostile.npz"  # an object array: loading it would unpickle
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array([pickle.dumps(os.getcwd)], dtype=object))
    hostile.write_bytes(buffer.getvalue())
    with pytest.raises(ProfileError, match="hostile.npz"):
        load_adapter(hostile)
    wrong = tmp_path / "wrong.npz"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(wrong, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            if item == "word_up.npy":
                buffer = io.BytesIO()
                np.save(buffer, np.zeros((3, 2), np.float32))
                data = buffer.getvalue()
            target.writestr(item, data)
    with pytest.raises(ProfileError, match="wrong shapes"):
        load_adapter(wrong)


def test_the_writers_own_lines_teach_the_adapter_to_keep_their_words(corrector):
    """Accepted suggestions alone push the tagger towards edits everywhere; the writer's documents (their clean
    text) are kept as written: fitted with them, the writer's own line is no longer corrected."""
    from nahawi.tags import KEEP

    stage = corrector.tagger
    decisions = _decisions(corrector, TEXT, ignored=set())  # every suggestion accepted
    assert _edits(corrector, ELSEWHERE)
    keep = stage.vocab.word_id(KEEP)

    def keep_probs(adapter):
        return stage.outputs([model_input(ELSEWHERE)], adapter=adapter)[0].word_probs[:, keep]

    alone = fit_adapter(stage, decisions).adapter
    with_documents = fit_adapter(stage, decisions, documents=[ELSEWHERE]).adapter
    assert (keep_probs(with_documents) > keep_probs(alone)).all()
    try:
        assert _edits(_adapted(corrector, with_documents), ELSEWHERE) == set()
        assert _edits(corrector, TEXT) == {(d.original, d.replacement) for d in decisions}  # still made
    finally:
        corrector.adapt_to(None)
