"""The Corrector on the tiny exported model's real ONNX Runtime sessions, with real QALB sentences.

The tiny model is untrained, so its own outputs are rejected (it never ends its sentences); the paths
that turn a model output into edits are driven with gold corrections encoded as model outputs.
"""
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nahawi.contract import apply_edits
from nahawi.engine import Corrector, CorrectorOptions
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.engine.mapping import attach, model_input
from nahawi.engine.search import Hypothesis
from nahawi.errors import InputError, ModelError
from nahawi.kinds import KINDS

QALB_DEV = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2].parent / "shared")) / "data/qalb/2014/dev"
ARABIC_MIX = st.text(alphabet="ابتدذرسصضطظعفقكلمنهويءأإآؤئةى ،.؟!«»()\n\t\r \u064e\u0640\u200f😀3٣aZ-_&",
                     max_size=80)




@pytest.fixture(scope="module")
def corrector(tiny_model_dir):
    return Corrector.from_dir(tiny_model_dir, device="cpu", options=CorrectorOptions(threads=1))


def arabic_spacing(line: str) -> str:
    """A benchmark-tokenised line as a writer types it (`كلمة، كلمة`)."""
    out, previous = "", None
    for token in line.split():
        if previous is not None and attach(token) != "left" and attach(previous) != "right":
            out += " "
        out, previous = out + token, token
    return out


@pytest.fixture(scope="module")
def qalb():
    sent, cor = QALB_DEV / "QALB-2014-L1-Dev.sent.no_ids", QALB_DEV / "QALB-2014-L1-Dev.cor.no_ids"
    if not sent.exists():
        pytest.skip(f"QALB-2014 dev not found under {QALB_DEV}")
    sources = sent.read_text(encoding="utf-8").splitlines()[:40]
    targets = cor.read_text(encoding="utf-8").splitlines()[:40]
    return list(zip(sources, targets))


def gold_output(corrector, target: str, prob: float = 0.9) -> Hypothesis:
    """A gold correction encoded as if the model had written it, every piece with probability prob."""
    ids = corrector.codec.encode(model_input(target).line)
    return Hypothesis(tuple(ids), (math.log(prob),) * len(ids), math.log(0.8), 0.0)


def check_correction(result, source):
    assert result.source == source
    assert apply_edits(source, result.edits) == result.corrected
    cursor = 0
    for edit in result.edits:
        assert cursor <= edit.start <= edit.end <= len(source)
        assert edit.original == source[edit.start:edit.end] and edit.kind in KINDS
        assert edit.confidence is not None and 0.0 <= edit.confidence <= 1.0
        cursor = edit.end


def test_info_names_model_device_and_provider(corrector, tiny_model_dir):
    info = corrector.info
    assert info.model_name == tiny_model_dir.name and info.precision == "fp32"
    assert info.device == "cpu" and info.provider == "CPUExecutionProvider" and info.threads == 1


def test_missing_models_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Corrector.from_dir(tmp_path / "nowhere")
    if not (DEFAULT_MODEL_DIR / "model.json").exists():
        with pytest.raises(ModelError, match="default model"):
            Corrector.from_dir(None)


@pytest.mark.parametrize(("call", "named"), [
    ({"beam": 0}, "0"), ({"beam": "2"}, "'2'"), ({"beam": 1000}, "1000"), ({"max_length": 0}, "0"),
    ({"min_confidence": 1.5}, "1.5"), ({"min_confidence": float("nan")}, "nan"), ({"guard": "yes"}, "'yes'"),
])
def test_invalid_call_options_name_the_value(corrector, call, named):
    with pytest.raises(InputError, match=named):
        corrector.correct_batch(["ذهب الولد"], **call)


def test_invalid_texts_and_options_are_input_errors(corrector, tiny_model_dir):
    with pytest.raises(InputError, match="list of str"):
        corrector.correct_batch("ذهب الولد")
    with pytest.raises(InputError, match=r"texts\[1\]"):
        corrector.correct_batch(["ذهب", 3])
    with pytest.raises(InputError, match="max_batch_size.*0"):
        Corrector.from_dir(tiny_model_dir, options=CorrectorOptions(max_batch_size=0))
    with pytest.raises(InputError, match="latin_marks must be True or False, got 'yes'"):
        Corrector.from_dir(tiny_model_dir, options=CorrectorOptions(latin_marks="yes"))
    with pytest.raises(InputError, match="'tpu'"):
        Corrector.from_dir(tiny_model_dir, device="tpu")


def test_results_are_in_input_order_and_untouched_without_accepted_edits(corrector, qalb):
    texts = [arabic_spacing(source) for source, _ in qalb[:12]] + ["", "   \n\t", "hello, world 123"]
    texts = texts[::-1]  # lengths out of order on purpose
    for results in (corrector.correct_batch(texts), corrector.correct_batch(texts, guard=False, beam=2),
                    corrector.correct_batch(texts, min_confidence=1.0)):
        for text, result in zip(texts, results, strict=True):
            check_correction(result, text)
            assert result.corrected == text and not result.edits  # the untrained model's output is refused


def test_repeated_sentences_come_from_the_cache(tiny_model_dir, qalb):
    corrector = Corrector.from_dir(tiny_model_dir, options=CorrectorOptions(threads=1))
    texts = [arabic_spacing(source) for source, _ in qalb[:4]]
    corrector.correct_batch(texts)
    first = corrector.cache_stats()
    corrector.correct_batch(texts[::-1])
    second = corrector.cache_stats()
    assert first.misses > 0 and second.misses == first.misses and second.hits == first.misses
    corrector.correct_batch(texts, beam=2)  # other settings, other entries
    assert corrector.cache_stats().misses == 2 * first.misses


def test_text_without_arabic_never_reaches_the_model(tiny_model_dir):
    corrector = Corrector.from_dir(tiny_model_dir, options=CorrectorOptions(threads=1))
    texts = ["hello world.", "12345 😀", "Привет", ""]
    assert [r.corrected for r in corrector.correct_batch(texts)] == texts
    assert corrector.cache_stats().misses == 0


def test_long_documents_are_cut_to_fit_the_model(corrector, qalb):
    document = " ".join(arabic_spacing(source) for source, _ in qalb[:12])
    pieces = corrector.segments(document)
    assert len(pieces) > 3
    for piece in pieces:
        assert document[piece.start:piece.end] == piece.text
        assert len(corrector.codec.encode(model_input(piece.text).line)) + 1 <= corrector.max_source
    check_correction(corrector.correct(document), document)


def test_gold_outputs_become_scored_edits_in_the_users_spacing(corrector, qalb):
    checked = 0
    for source, target in qalb:
        if any(corrector.codec.opaque(token) for token in f"{source} {target}".split()):
            continue  # the tiny vocabulary cannot spell `؛` or `"`: such marks are never changed
        user = arabic_spacing(source)
        edits, rejected = corrector.segment_edits(user, gold_output(corrector, target), guard=False)
        assert not rejected
        assert apply_edits(user, edits) == arabic_spacing(target)
        checked += 1
        for edit in edits:
            assert edit.original == user[edit.start:edit.end] and edit.kind in KINDS
            assert 0.5 < edit.confidence <= 0.9 + 1e-9
    assert checked >= 10


def test_guard_refuses_a_drifting_output(corrector, qalb):
    user = arabic_spacing(qalb[0][0])
    unrelated = gold_output(corrector, "كان الطقس جميلا جدا يوم أمس في المدينة الكبيرة")
    edits, rejected = corrector.segment_edits(user, unrelated)
    assert edits == () and "edits" in rejected
    assert corrector.segment_edits(user, unrelated, guard=False)[0]


def test_no_end_of_sentence_means_no_edits(corrector):
    truncated = Hypothesis((10, 11), (-0.1, -0.1), None, 0.0)
    edits, rejected = corrector.segment_edits("ذهب الولد", truncated, guard=False)
    assert edits == () and rejected == "no end of sentence within the length limit"
    assert corrector.correct("ذهب الولد الى المدرسه", max_length=1, guard=False).edits == ()


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60) | ARABIC_MIX)
def test_correct_never_raises_and_keeps_text_outside_edits(corrector, text):
    check_correction(corrector.correct(text, guard=False), text)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ARABIC_MIX, data=st.data())
def test_any_model_output_maps_to_exact_edits(corrector, text, data):
    """Whatever the model writes (here: the text with tokens dropped, swapped or added), the edits are exact
    and tokens holding what the vocabulary cannot spell (emoji, Latin letters) survive whole."""
    tokens = [t.text for t in model_input(text).tokens]
    edited = data.draw(st.lists(st.sampled_from(tokens + ["،", "إلى", "."]), max_size=len(tokens) + 3)
                       if tokens else st.just(["ذهب"]))
    edits, rejected = corrector.segment_edits(text, gold_output(corrector, " ".join(edited)), guard=False)
    assert not rejected
    corrected = apply_edits(text, edits)
    for edit in edits:
        assert edit.original == text[edit.start:edit.end]
    for ch in "😀aZ":
        assert corrected.count(ch) == text.count(ch)


def test_lone_surrogates_do_not_crash(corrector):
    text = "ذهب \ud800 الولد"
    check_correction(corrector.correct(text, guard=False), text)
