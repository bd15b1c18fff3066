"""Long documents (issue 13): checked in pieces of whole lines, the lines on screen first, with progress; the
pieces give the same edits as one check of the whole text; typing or closing never waits for a long check."""
from __future__ import annotations

import threading
import time
from itertools import pairwise

import pytest
from app_helpers import type_text

from nahawi_app import worker as worker_module
from nahawi_app.worker import plan_pieces

LINES = ["ذهب الطالب الى المدرسة في الصباح الباكر", "سطر بلا أخطاء.", "رأيت مصطفي يمشي على الشاطئ مع أخيه الصغير",
         "اريد ان اتعلم اللغة العربية وقواعدها", "English line.", ""]


def long_text(lines: int) -> str:
    return "\n".join(LINES[k % len(LINES)] for k in range(lines))


class SlowEngine:
    """The real engine, made as slow per call as the shipped model is on a long document's piece."""

    def __init__(self, engine, delay_s: float):
        self.engine, self.delay_s, self.calls = engine, delay_s, 0
        self.busy = threading.Event()

    @property
    def info(self):
        return self.engine.info

    def cache_stats(self):
        return self.engine.cache_stats()

    def adapt_to(self, writer):  # the window has the engine follow the (empty) profile
        self.engine.adapt_to(writer)

    def correct_batch(self, texts, **options):
        self.busy.set()
        time.sleep(self.delay_s)
        self.calls += 1
        return self.engine.correct_batch(texts, **options)


@pytest.mark.parametrize("visible", [(0, 0), (10, 20), (95, 99), (500, 900)])
def test_pieces_cover_the_text_once_in_whole_lines_visible_first(visible):
    text = long_text(100)
    pieces = plan_pieces(text, visible, piece_chars=300)
    ordered = sorted(pieces)
    assert ordered[0][0] == 0 and ordered[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(ordered))  # no gap, no overlap
    assert all(start == 0 or text[start - 1] == "\n" for start, _ in pieces)
    starts = [0] + [k + 1 for k, ch in enumerate(text) if ch == "\n"]
    first = min(visible[0], len(starts) - 1)
    assert pieces[0][0] == starts[first]
    assert plan_pieces("قصير\nنص", (0, 0), piece_chars=300) == ((0, len("قصير\nنص")),)


def test_a_long_document_shows_the_lines_on_screen_first_then_all_with_the_same_edits(
        window, qtbot, corrector, monkeypatch):
    monkeypatch.setattr(worker_module, "PIECE_CHARS", 400)
    text = long_text(120)
    window.editor.load_text(text)
    bar = window.editor.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    first, last = window.editor.visible_lines()
    assert 0 < first < last < 119
    partials, shares, said = [], [], []
    window.controller.partial.connect(partials.append)
    window.controller.progress.connect(shares.append)
    window.controller.progress.connect(lambda share: said.append(window.status_labels["state"].text()))
    with qtbot.waitSignal(window.checked, timeout=60000) as blocker:
        window.check_now()
    expected = corrector.correct(text)
    assert blocker.args[0].correction == expected  # pieces ≡ one call on the whole text
    assert len(partials) == 1 and partials[0].edits
    [(low, high)] = partials[0].spans
    assert low == sum(len(line) + 1 for line in text.split("\n")[:first])  # the screen's first line
    assert all(low <= e.start <= high for e in partials[0].edits)
    assert shares == sorted(shares) and shares[-1] == 1.0 and len(shares) > 3
    assert said == [window.strings("status_checking_share", percent=round(100 * share)) for share in shares]
    assert [i.edit for i in window.layer.issues] == list(expected.edits)


def test_typing_during_a_long_check_gives_it_up_at_the_next_piece(make_window, qtbot, corrector, monkeypatch):
    monkeypatch.setattr(worker_module, "PIECE_CHARS", 400)
    slow = SlowEngine(corrector, 0.2)
    window = make_window(engine=lambda: slow)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    window.editor.load_text(long_text(300))  # about 30 pieces: 6 s or more
    window.check_now()
    qtbot.waitUntil(slow.busy.is_set, timeout=10000)
    calls = slow.calls
    window.editor.setFocus()
    type_text(window.editor, "س")
    with qtbot.waitSignal(window.checked, timeout=120000) as blocker:
        window.check_now()
    assert blocker.args[0].revision == window.controller.revision
    assert slow.calls < calls + 2 + len(plan_pieces(window.editor.plain_text(), (0, 0)))  # the old check stopped


def test_closing_during_a_long_check_does_not_wait_for_it(make_window, qtbot, corrector, monkeypatch):
    """Closing during a check of a 5 MB file froze the window for 30 s (then: 'QThread: Destroyed while thread
    is still running')."""
    monkeypatch.setattr(worker_module, "PIECE_CHARS", 400)
    slow = SlowEngine(corrector, 0.2)
    window = make_window(engine=lambda: slow)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    window.editor.load_text(long_text(300))
    pieces = len(plan_pieces(window.editor.plain_text(), (0, 0)))
    window.check_now()
    qtbot.waitUntil(slow.busy.is_set, timeout=10000)
    window.editor.document().setModified(False)
    assert window.close()
    assert slow.calls < pieces  # closed while the check was still going
    worker_module.wait_for_workers()
    assert slow.calls < pieces  # and the check stopped at the piece it was on


def test_a_long_result_is_drawn_from_the_screen_without_one_long_stall(window, qtbot, corrector, monkeypatch):
    """Every underline of a long result was made (a cursor each: a block layout) and drawn in one go: a
    300 KB document stalled the window for 0.6 s, a 5 MB one for many seconds. The screen's issues come
    first; the rest is taken a chunk per turn of the event loop, and only the screen's become cursors."""
    from nahawi_app import highlight

    monkeypatch.setattr(highlight, "CHUNK", 100)
    text = long_text(1500)
    expected = corrector.correct(text).edits
    assert len(expected) > 3 * highlight.CHUNK
    window.editor.load_text(text)
    bar = window.editor.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    first, last = window.editor.visible_lines()
    with qtbot.waitSignal(window.checked, timeout=60000):
        window.check_now()
    layer = window.layer
    assert not layer.complete and 0 < len(layer.issues) < len(expected) // 2  # the screen's only, for now
    top = window.editor.document().findBlockByNumber(first).position()
    bottom = window.editor.document().findBlockByNumber(last).position()
    assert any(top <= issue.start <= bottom for issue in layer.issues)
    qtbot.waitUntil(lambda: layer.complete, timeout=60000)
    assert [issue.edit for issue in layer.issues] == list(expected)
    drawn = window.editor.extraSelections()
    assert 0 < len(drawn) < len(layer.issues)  # only around the screen
    bar.setValue(bar.maximum())
    assert any(s.cursor.selectionStart() == layer.issues[-1].start for s in window.editor.extraSelections())
    assert window.layer.issue_at(layer.issues[-1].start) is layer.issues[-1]


def test_typing_while_a_long_result_is_drawn_stops_it_until_the_next_check(window, qtbot, corrector, monkeypatch):
    from nahawi_app import highlight

    monkeypatch.setattr(highlight, "CHUNK", 100)
    text = long_text(1500)
    window.editor.load_text(text)
    with qtbot.waitSignal(window.checked, timeout=60000):
        window.check_now()
    assert not window.layer.complete
    window.editor.setFocus()
    type_text(window.editor, "س")  # at the start: every offset after it moves
    assert window.layer.complete
    with qtbot.waitSignal(window.checked, timeout=60000):
        window.check_now()
    qtbot.waitUntil(lambda: window.layer.complete, timeout=60000)
    now = window.editor.plain_text()
    assert [issue.edit for issue in window.layer.issues] == list(corrector.correct(now).edits)


def test_after_typing_in_a_long_document_only_the_pieces_around_the_change_are_corrected_again(
        make_window, qtbot, corrector, monkeypatch):
    """Every keystroke restarted a long check from scratch (the engine remembers 4,096 segments; a 5 MB file
    has tens of thousands), so while the writer typed the rest of the document was never checked."""
    monkeypatch.setattr(worker_module, "PIECE_CHARS", 400)
    slow = SlowEngine(corrector, 0.0)
    window = make_window(engine=lambda: slow)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    window.editor.load_text("\n".join(f"{line} {k}" for k, line in enumerate(long_text(300).split("\n"))))
    with qtbot.waitSignal(window.checked, timeout=120000):
        window.check_now()
    pieces, calls = len(plan_pieces(window.editor.plain_text(), window.editor.visible_lines())), slow.calls
    assert calls >= pieces > 5  # every piece differs
    window.editor.setFocus()
    type_text(window.editor, "س")
    with qtbot.waitSignal(window.checked, timeout=120000) as blocker:
        window.check_now()
    assert slow.calls - calls <= 3 < pieces  # the piece with the new letter, at most its neighbours too
    text = window.editor.plain_text()
    assert blocker.args[0].correction == corrector.correct(text)


@pytest.mark.parametrize("block", [1, 3, 7, 65_536])
def test_words_are_counted_a_block_at_a_time_as_one_split_would(block):
    from nahawi_app.worker import count_words

    texts = [long_text(40), "", "   ", "😀 ذَهَبَ\u00a0الطالبُ\tالى  المدرسه\n\nEnglish  line. ", "كلمة", " قصير\u3000جدا\u2029"]
    for text in texts:
        assert count_words(text, block) == len(text.split())
