"""The cycle collector kept off a long document's edits (issue 13: full collections on the check's thread,
30–75 ms twice a second, stalled the GUI): what is frozen is still freed, frozen garbage is collected once
it grows, and the revisions of a long document leave no reference cycles behind to freeze."""
from __future__ import annotations

import dataclasses
import gc
import weakref

import pytest
from app_helpers import type_text

from nahawi.contract import Edit
from nahawi_app import worker as worker_module
from nahawi_app.collection import CollectionPolicy, quiet_build, thaw
from nahawi_app.worker import shifted

LINES = ["ذهب الطالب الى المدرسة في الصباح الباكر", "رأيت مصطفي يمشي على الشاطئ مع أخيه الصغير",
         "اريد ان اتعلم اللغة العربية وقواعدها", "سطر بلا أخطاء."]


class Node:
    """One object in a reference cycle with itself."""

    def __init__(self):
        self.me = self


@pytest.fixture
def thawed():
    yield
    thaw()
    gc.enable()


def test_the_collector_is_paused_inside_a_quiet_build_and_back_after_it(thawed):
    with quiet_build(CollectionPolicy()):
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with quiet_build(CollectionPolicy()):
        pass
    assert not gc.isenabled()  # left as the caller had it


def test_a_frozen_object_is_still_freed_when_its_last_reference_goes(thawed):
    edits = tuple(Edit(k, k + 1, "أ", "hamza") for k in range(1000))
    probe = weakref.ref(edits[0])
    with quiet_build(CollectionPolicy()):
        pass
    assert gc.get_freeze_count() > 1000
    del edits
    assert probe() is None


def test_frozen_garbage_is_collected_once_the_frozen_objects_outgrow_the_policy(thawed):
    policy = CollectionPolicy(growth=1.0, slack=1000)
    cycles = [Node() for _ in range(3000)]
    probe = weakref.ref(cycles[0])
    with quiet_build(policy):  # the lowest frozen count so far: the cycles were alive
        pass
    del cycles
    gc.collect()
    assert probe() is not None and policy.full_collections == 0  # garbage, but frozen: no pass sees it
    alive = [Node() for _ in range(3000)]
    with quiet_build(policy):  # 3,000 more frozen: past growth x lowest + slack
        pass
    assert probe() is None and policy.full_collections == 1
    assert all(node.me is node for node in alive)


def test_placing_a_pieces_edits_keeps_every_field_of_the_edit():
    values = {"start": 3, "end": 5, "replacement": "أن", "kind": "hamza", "rule_id": "lexicon", "original": "ان",
              "confidence": 0.75}
    assert set(values) == {f.name for f in dataclasses.fields(Edit)}  # a new field: add it here and to shifted
    [placed] = shifted(10, (Edit(**values),))
    assert placed == dataclasses.replace(Edit(**values), start=13, end=15)


def test_revisions_of_a_long_document_leave_no_cycles_to_freeze(window, qtbot, monkeypatch, thawed):
    """A replaced result's issue rows and their handles (each pointing back at its rows) made a cycle: once
    frozen it would have kept a 5 MB document's hundred thousand edits alive for good."""
    monkeypatch.setattr(worker_module, "PIECE_CHARS", 400)
    window.editor.load_text("\n".join(f"{LINES[k % len(LINES)]} {k}" for k in range(120)))
    window.editor.setFocus()
    for _ in range(3):
        with qtbot.waitSignal(window.checked, timeout=60000):
            window.check_now()
        qtbot.waitUntil(lambda: window.layer.complete, timeout=60000)
        assert len(window.layer.issues) > 50  # a handle for every issue, as the panel and the card make them
        type_text(window.editor, "س")
    assert gc.get_freeze_count() > 0  # the long document's edits were kept out of the collector's sight
    thaw()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        left = {type(thing).__name__ for thing in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not left & {"Edit", "Issue", "IssueRows", "CheckedPiece", "Correction", "CheckResult"}


def test_the_code_units_kept_either_side_of_an_issue_are_those_qt_reads_next_to_an_emoji(qapp):
    """The units either side of each span are numbers now (no string per issue): for a span against an
    astral character they are its surrogates, as `QTextDocument.characterAt` gives them."""
    from PySide6.QtGui import QTextDocument

    from nahawi_app.issues import NO_UNIT, IssueRows, Utf16Map, document_unit, unit_code

    text = "😀خطا😀\nكلمه"
    edits = [Edit(1, 4, "خطأ", "hamza", original="خطا"), Edit(6, 10, "كلمة", "ta_marbuta", original="كلمه"),
             Edit(0, 0, "«", "punctuation")]
    edits.sort(key=lambda e: (e.start, e.end))
    document = QTextDocument(text)
    rows = IssueRows.from_checked(document, text, Utf16Map(text), edits)
    for row in range(len(edits)):
        start, end = int(rows.starts[row]), int(rows.ends[row])
        assert rows.before[row] == unit_code(document_unit(document, start - 1))
        assert rows.after[row] == unit_code(document_unit(document, end))
        assert rows.is_intact(row)
    assert rows.before[0] == NO_UNIT and 0xDC00 <= rows.before[1] <= 0xDFFF and 0xD800 <= rows.after[1] <= 0xDBFF
    assert rows.after[2] == NO_UNIT
    assert rows.handle(1).context == ("\udE00", "\ud83d")


def test_the_gui_thread_waits_at_most_a_millisecond_for_the_checks_gil(window):
    """Some Qt calls let go of the GIL; getting it back from a check running Python took up to the
    interpreter's 5 ms each time, so a turn of the event loop with many Qt calls stalled."""
    import sys

    assert sys.getswitchinterval() <= worker_module.SWITCH_INTERVAL_S == 0.001
