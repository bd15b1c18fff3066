"""Helpers shared by the editor tests (imported by name: tests/app is on sys.path while they run)."""
from __future__ import annotations

import math


def teach(corrector, source: str, target: str) -> tuple:
    """Make `corrector` correct the sentence `source` (one whole segment) to `target`; returns its edits."""
    from nahawi.engine.corrector import _SegmentResult, _Settings
    from nahawi.engine.mapping import model_input
    from nahawi.engine.search import Hypothesis

    assert [s.text for s in corrector.segments(source)] == [source], "teach whole segments only"
    ids = corrector.codec.encode(model_input(target).line)
    output = Hypothesis(tuple(ids), (math.log(0.9),) * len(ids), math.log(0.8), 0.0)
    edits, rejected = corrector.segment_edits(source, output, guard=False)
    assert not rejected and edits
    corrector.cache.put((source, _Settings(beam=1, max_length=None, guard=True)), _SegmentResult(edits, ""))
    return edits


# Sentences with known corrections: (source, target). Diacritics, tatweel and an emoji sit before errors.
LESSONS = (
    ("😀 ذَهَبَ الطالبُ الى المدرسه في الصباح.", "😀 ذهب الطالب إلى المدرسة في الصباح."),
    ("رايت مصطفي يمشي علي الشاطئ 😀 مع أخيه.", "رأيت مصطفى يمشي على الشاطئ 😀 مع أخيه."),
    ("قال المديـــر ان الاجتماع سيعقد يوم الاحد", "قال المديـــر إن الاجتماع سيعقد يوم الأحد"),
    ("ذهب الطالبالى المدرسة", "ذهب الطالب إلى المدرسة"),
    ("رأيت الضبي في الحديقة", "رأيت الظبي في الحديقة"),
)


def check(qtbot, window, text: str | None = None):
    """Load text (if given), check it now, and return the CheckResult once its underlines are shown."""
    if text is not None:
        window.editor.load_text(text)
    with qtbot.waitSignal(window.checked, timeout=20000) as blocker:
        window.check_now()
    return blocker.args[0]
