"""The annotators' comma before و: measured on QALB-2015 train's corrected side, drawn into clean text."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from training.data.comma_convention import COMMA, CommaRates, is_waw_word

DATA = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared")) / "data"
QALB15_TRAIN = DATA / "qalb" / "2015" / "train" / "QALB-2015-L2-Train.cor.no_ids"
needs_data = pytest.mark.skipif(not QALB15_TRAIN.exists(), reason=f"QALB-2015 train not found under {DATA}")

CLEAN = "ذهبنا إلى السوق وبعد ذلك عدنا إلى البيت . وكان الجو جميلا ولكن الطريق طويل والناس كثيرون"


@pytest.fixture(scope="module")
def rates():
    return CommaRates.measure(QALB15_TRAIN.read_text(encoding="utf-8").splitlines())


@needs_data
def test_the_annotators_write_a_comma_before_nearly_half_the_waw_words(rates):
    assert sum(rates.words.values()) > 3000
    assert 0.35 < rates.overall < 0.55
    # the word after the gap carries the choice: a clause opener well above the average, the end of a
    # formula (صلى الله عليه وسلم) and a word whose و is its own (واحد) well below
    assert rates.rate("وبعد") > 0.7 and rates.rate("وسلم") < 0.1 and rates.rate("واحد") < 0.1


@needs_data
def test_commas_are_drawn_only_before_waw_words_and_never_change_a_word(rates):
    tokens = CLEAN.split()
    drawn = [rates.with_commas(tokens, random.Random(seed)) for seed in range(400)]
    for out in drawn:
        assert [t for t in out if t != COMMA] == tokens
        for k, token in enumerate(out):
            if token == COMMA:
                assert k and is_waw_word(out[k + 1]) and out[k - 1] not in (COMMA, ".")
    # a و-word right after a full stop never gets one; وبعد gets one at about its measured rate
    assert not any(out[out.index("وكان") - 1] == COMMA for out in drawn)
    share = sum(out[out.index("وبعد") - 1] == COMMA for out in drawn) / len(drawn)
    assert abs(share - rates.rate("وبعد")) < 0.08


def test_nothing_measured_means_nothing_drawn():
    rates = CommaRates.measure([])
    assert rates.overall == 0.0
    assert rates.with_commas(CLEAN.split(), random.Random(0)) == CLEAN.split()
