"""The engine's stages stay linear in the document without changing what they find (issue 15): the
punctuation stage's index of taken edits answers as the scan it replaced did, the shipped model's edits on
real Arabic are those recorded before the rewrite, and a stage the policy disables does not run. Timings
are measured by `nahawi bench speed --scaling`, never asserted here."""
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nahawi.contract import Edit
from nahawi.engine import Corrector, CorrectorOptions, punct_stage
from nahawi.engine import corrector as corrector_module
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.engine.punct_stage import TakenSpans, punctuation_edits
from nahawi.errors import InputError
from nahawi.text.punct import is_punct_char
from nahawi.text.segment import segment_text

FIXTURE = Path(__file__).parent / "fixtures" / "sample_edits.json"
SAMPLE = DEFAULT_MODEL_DIR.parent / "sample.txt"


class ScanSpans:
    """The stage's former rule: a scan of every taken edit for each gap."""

    def __init__(self, edits):
        self.edits = list(edits)

    def touches(self, start: int, end: int) -> bool:
        return any(e.start < end and start < e.end or start <= e.start == e.end <= end for e in self.edits)


def _documents() -> list[str]:
    sample = SAMPLE.read_text(encoding="utf-8").splitlines()
    flat = " ".join("".join(ch for ch in line if not is_punct_char(ch)) for line in sample)
    return sample + [flat, " ".join([flat] * 20)]


def _rows(correction) -> list[list]:
    return [[e.start, e.end, e.replacement, e.kind, e.rule_id, e.confidence] for e in correction.edits]


@pytest.fixture(scope="module")
def shipped() -> Corrector:
    return Corrector.from_dir(None, device="cpu")


spans = st.tuples(st.integers(0, 40), st.integers(0, 6)).map(lambda p: (p[0], p[0] + p[1]))


@given(st.lists(spans, max_size=12), spans)
def test_taken_spans_answer_as_the_scan_did(taken, gap):
    edits = [Edit(start, end, "x", "other") for start, end in taken]
    assert TakenSpans(edits).touches(*gap) == ScanSpans(edits).touches(*gap)


def test_punctuation_stage_finds_the_same_marks_as_before_on_real_text(shipped, monkeypatch, shared_root):
    """Real QALB-2014 dev lines as one document, the shipped lexicon's edits taken, a low threshold so that
    many gaps are proposed: the indexed stage and the former scan give the same marks."""
    lines = (shared_root / "data/qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids").read_text(encoding="utf-8")
    text = " ".join(lines.splitlines()[:150])
    taken = shipped.stages.document_edits(text, [(s.start, shipped.stages.segment_edits(s.text))
                                                 for s in shipped.segments(text)])
    taken = [e for e in taken if e.rule_id != "punctuation"]
    indexed = punctuation_edits(text, taken, shipped.stages.punctuation, 0.4)
    monkeypatch.setattr(punct_stage, "TakenSpans", ScanSpans)
    assert punctuation_edits(text, taken, shipped.stages.punctuation, 0.4) == indexed
    assert len(indexed) > 50 and len(taken) > 500


def test_shipped_model_edits_on_the_sample_are_unchanged(shipped):
    """Regression for the linear rewrite (segmentation, model inputs, punctuation index): the edits recorded
    before it, on each sample line, the sample without marks as one document, and that 20 times."""
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    files = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))["files"]
    # Files added since (the mapped tables) are built from the recorded ones: only those must be unchanged.
    if {name: files.get(name, {}).get("sha256") for name in recorded["model_files"]} != recorded["model_files"]:
        pytest.skip("the shipped model changed since the fixture was recorded (regenerate it with the old engine)")
    assert [_rows(c) for c in shipped.correct_batch(_documents())] == recorded["edits"]


def test_long_sentence_is_cut_into_the_same_segments():
    """One unpunctuated sentence of about 6,000 words: 64-word pieces, in order, covering every word once."""
    words = _documents()[-2].split() * 50
    text = " ".join(words)
    pieces = segment_text(text, 64)
    assert [p.text.split() for p in pieces] == [words[k:k + 64] for k in range(0, len(words), 64)]
    assert all(text[p.start:p.end] == p.text for p in pieces)


def test_no_model_inputs_are_built_when_the_policy_skips_the_model(monkeypatch):
    engine = Corrector.from_dir(None, device="cpu", options=CorrectorOptions(cache_size=0))
    calls = []
    real = corrector_module.model_input
    monkeypatch.setattr(corrector_module, "model_input", lambda text: calls.append(text) or real(text))
    assert not engine.uses_model
    text = _documents()[-2]
    segments = engine.segments(text)
    calls.clear()
    engine.correct(text)
    assert len(calls) == len(segments) > 1  # only to fit segments to the model, none to decode them


def test_a_punctuation_stage_the_policy_disables_does_not_run(tmp_path, monkeypatch):
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    document = json.loads((model / "model.json").read_text(encoding="utf-8"))
    document["policy"]["punctuation"] = False
    (model / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr("nahawi.engine.stages.punctuation_edits", lambda *a: pytest.fail("punctuation ran"))
    corrector = Corrector.from_dir(model, device="cpu")
    assert corrector.stages.punctuation is None
    assert corrector.correct("ذهبت الى السوق, ثم عدت الى البيت").corrected == "ذهبت إلى السوق, ثم عدت إلى البيت"


def test_a_call_without_punctuation_leaves_out_its_marks_without_running_it(shipped, monkeypatch):
    """The app's writer turned the punctuation kind off: its stage ran all the same on every check (issue 13),
    its marks then hidden."""
    text = "ذهبت الى السوق ثم عدت الى البيت وقال ان الجو جميل اليوم ثم نام"  # a full stop goes at its end
    full = shipped.correct(text)
    marks = [e for e in full.edits if e.rule_id == "punctuation"]
    assert marks and len(marks) < len(full.edits)
    monkeypatch.setattr("nahawi.engine.stages.punctuation_edits", lambda *a: pytest.fail("punctuation ran"))
    without = shipped.correct(text, punctuation=False)
    assert without.edits == tuple(e for e in full.edits if e.rule_id != "punctuation")
    with pytest.raises(InputError, match="punctuation must be True or False, got 'no'"):
        shipped.correct_batch([text], punctuation="no")
