"""The editor learns from its writer (issue 17), through real clicks and keys in the real window on the trained
tiny model: accepting and ignoring write the profile's decisions log; "learn from my writing" on a chosen
document stops a suggestion on the writer's own word; forgetting that item brings it back; the dialogs are
right to left in the Arabic interface. Learning runs on a thread of its own: while it reads a long document,
what the writer types is still checked, a second learning is refused, and Cancel or closing the window stops
it with the profile as it was; on the shipped model, the writer's own word stops being flagged once learned."""
from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from app_helpers import DOCUMENT, check, type_text
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QLineEdit

from export.fixtures import SENTENCES
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.profile import Profile, read_decisions
from nahawi.profile.adapter import HeadAdapter, TaggerAdapter
from nahawi.profile.store import ADAPTER, DECISIONS, LEARNED
from nahawi_app.settings import AppSettings
from nahawi_app.strings import Strings

SENTENCE = "رايت مصطفي يمشي علي الشاطئ 😀 مع أخيه."  # in DOCUMENT's first line; the model fixes 3 words


@pytest.fixture
def own_engine(trained_model_dir):
    """An engine of this test's own: learning adapts it (the shared one stays for nobody in particular)."""
    from nahawi.engine import Corrector, CorrectorOptions

    return Corrector.from_dir(trained_model_dir, device="cpu", options=CorrectorOptions(threads=1))


def _issue(window, original):
    return next((i for i in window.layer.issues if i.edit.original == original), None)


def _click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_accepting_and_ignoring_write_decisions_with_their_paragraph(window, qtbot):
    check(qtbot, window, DOCUMENT)
    window.show_card(_issue(window, "مصطفي"))
    _click(qtbot, window.card.accept_button)
    window.show_card(_issue(window, "علي"))
    _click(qtbot, window.card.ignore_button)
    path = window.profile.file(DECISIONS)
    decisions = read_decisions(path)  # checked against the profile's format
    assert [(d.original, d.decision) for d in decisions] == [("مصطفي", "accepted"), ("علي", "ignored")]
    first_line = DOCUMENT.split("\n")[0]
    assert decisions[0].text == first_line  # the paragraph before the fix, emoji and diacritics exact
    assert decisions[1].text == first_line.replace("مصطفي", "مصطفى")  # as it stood when ignored
    assert decisions[0].replacement == "مصطفى" and decisions[0].kind == "alif_maqsura"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    window.accept_all()  # accepting everything at once judges nothing one by one: not recorded
    assert len(read_decisions(path)) == 2


def test_disabling_a_kind_from_a_card_records_that_suggestion_as_ignored(window, qtbot):
    check(qtbot, window, DOCUMENT)
    window.show_card(_issue(window, "الى"))
    _click(qtbot, window.card.disable_button)
    decision, = read_decisions(window.profile.file(DECISIONS))
    assert (decision.original, decision.replacement, decision.decision) == ("الى", "إلى", "ignored")
    assert decision.kind not in window.settings.enabled_kinds


def _choose(window, document):
    """Choose document in the learn action's file dialog with real keys: the learning starts."""
    window.actions_["learn"].trigger()
    dialog = window.findChild(QFileDialog, "learn_files")
    assert dialog.isVisible()
    dialog.selectFile(str(document))
    QTest.keyClick(dialog.findChild(QLineEdit, "fileNameEdit"), Qt.Key.Key_Return)


def _learn_from(window, qtbot, document):
    """Learn from document chosen with real keys; returns once the check after the learning is shown."""
    with qtbot.waitSignal(window.checked, timeout=30000):
        _choose(window, document)
        qtbot.waitUntil(lambda: not window.learn_dialog.running, timeout=30000)


def test_learning_from_a_document_stops_a_suggestion_and_forgetting_brings_it_back(make_window, own_engine,
                                                                                    qtbot, tmp_path):
    window = make_window(engine=lambda: own_engine)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    check(qtbot, window, DOCUMENT)
    before = {i.edit.original for i in window.layer.issues}
    assert {"مصطفي", "علي", "الى"} <= before
    mine = tmp_path / "mine.txt"
    mine.write_text(SENTENCE + "\n", encoding="utf-8")  # the writer writes مصطفي so, between these words
    _learn_from(window, qtbot, mine)
    after = {i.edit.original for i in window.layer.issues}
    assert "مصطفي" not in after and "علي" not in after
    assert "الى" in after  # the other sentence's suggestion stays
    assert window.learn_dialog.label.text().startswith("تعلّم نحوي من")
    window.learn_dialog.close()

    window.actions_["learned"].trigger()
    view = window.learned_dialog
    tabs = view.tabs
    QTest.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(3).center())
    listed = view.lists["suppressed"]
    taught = ("context", "رايت", "مصطفي", "يمشي", "مصطفى")  # not made between these two words again
    row = next(r for r in range(listed.count()) if listed.item(r).data(Qt.ItemDataRole.UserRole) == taught)
    QTest.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=listed.visualItemRect(listed.item(row)).center())
    with qtbot.waitSignal(window.checked, timeout=20000):
        _click(qtbot, view.remove_button)
    after = {i.edit.original for i in window.layer.issues}
    assert "مصطفي" in after and "علي" not in after  # only the forgotten item comes back
    profile = Profile(window.profile.path)
    assert list(taught[1:]) not in profile.learned()["suppressed_contexts"]
    assert ["يمشي", "علي", "الشاطئ", "على"] in profile.learned()["suppressed_contexts"]
    assert not any(d.original == "مصطفي" and not d.accepted for d in read_decisions(profile.file(DECISIONS)))
    assert taught not in [listed.item(r).data(Qt.ItemDataRole.UserRole) for r in range(listed.count())]
    view.close()  # an open window-modal dialog would keep later windows from hover events


def test_a_profile_learned_elsewhere_is_picked_up(make_window, own_engine, qtbot, tmp_path):
    """`nahawi adapt` (or the language server) writes learned.json while the app runs: the next look at the
    profile checks again with it."""
    window = make_window(engine=lambda: own_engine)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    check(qtbot, window, DOCUMENT)
    assert _issue(window, "علي") is not None
    window.profile.write_learned({"format": "nahawi-profile-learned/1", "suppressed_pairs": [["علي", "على"]]})
    with qtbot.waitSignal(window.checked, timeout=20000):
        window.look_at_profile()
    assert _issue(window, "علي") is None and _issue(window, "مصطفي") is not None


def test_a_damaged_learned_file_is_named_and_checking_goes_on(make_window, own_engine, qtbot):
    window = make_window(engine=lambda: own_engine)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    window.profile.ensure()
    window.profile.file(LEARNED).write_text("{not json", encoding="utf-8")
    check(qtbot, window, DOCUMENT)
    assert _issue(window, "علي") is not None  # the engine is left for nobody in particular
    text = window.notices.text("profile")
    assert text is not None and "learned.json:1" in text and "ملفك الشخصي" in text
    window.actions_["learned"].trigger()  # the view names it too, and lists nothing of it
    assert "learned.json:1" in window.learned_dialog.problem.text()
    assert window.learned_dialog.lists["thresholds"].item(0).text() == "(لا شيء بعد)"
    window.learned_dialog.close()


def test_the_learning_dialogs_are_right_to_left_in_arabic_and_left_to_right_in_english(make_window, qtbot):
    window = make_window()
    window.actions_["learned"].trigger()
    assert window.learned_dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.learned_dialog.windowTitle() == "ما تعلّمه نحوي منك"
    window.learned_dialog.close()
    window.actions_["learn"].trigger()
    assert window.findChild(QFileDialog, "learn_files").layoutDirection() == Qt.LayoutDirection.RightToLeft
    window.learn_files.close()
    window.learn_from([])  # behind the file dialog: the progress dialog
    assert window.learn_dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft
    qtbot.waitUntil(lambda: not window.learn_dialog.running, timeout=20000)
    window.learn_dialog.close()
    english = make_window(settings=AppSettings(check_while_typing=False, language="en"))
    english.actions_["learned"].trigger()
    assert english.learned_dialog.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert english.actions_["learn"].text() == "Learn from my writing…"
    english.learned_dialog.close()



def test_learning_with_a_learner_of_the_engine_leaves_the_engine_as_it_was(own_engine, tmp_path):
    """What lets checks go on while the app learns: `adapt` on a `learner_of` copy changes what the copy
    suggests (the writer's own sentence), never what the engine that checks suggests."""
    from nahawi.profile.adapt import adapt
    from nahawi_app.learning import learner_of

    before = own_engine.correct(SENTENCE).edits
    stages = own_engine.stages
    learner = learner_of(own_engine)
    adapt(Profile(tmp_path / "profile"), learner, [SENTENCE + "\n"])
    assert {e.original for e in before} >= {"مصطفي", "علي"}
    assert not {e.original for e in learner.correct(SENTENCE).edits} & {"مصطفي", "علي"}
    assert own_engine.stages is stages and own_engine.correct(SENTENCE).edits == before
    assert learner.model is own_engine.model  # the model's sessions are shared, not loaded twice


def test_adapts_progress_can_stop_it_before_anything_is_written(own_engine, tmp_path):
    """What the learning dialog's Cancel does on the worker thread: the progress callback raises."""
    from nahawi.profile.adapt import adapt
    from nahawi_app.learning import LearningCancelled

    seen = []
    adapt(Profile(tmp_path / "kept"), own_engine, [(SENTENCE + "\n") * 40], progress=lambda *p: seen.append(p))
    assert seen == [(32, 40), (40, 40)] and (tmp_path / "kept" / LEARNED).is_file()

    def cancel(done, total):
        raise LearningCancelled

    with pytest.raises(LearningCancelled):
        adapt(Profile(tmp_path / "cancelled"), own_engine, [(SENTENCE + "\n") * 40], progress=cancel)
    assert not (tmp_path / "cancelled").exists()


def test_a_decision_in_a_long_paragraph_keeps_the_words_around_it(window, qtbot):
    """A paragraph of 20,000 characters is not copied into every decision: the whole sentences holding the
    400 characters either side of the span, with the span's offsets in that."""
    short = "هذه جملة قصيرة. "
    padding = short * 1250
    check(qtbot, window, padding + SENTENCE + " " + padding)
    window.show_card(_issue(window, "مصطفي"))
    _click(qtbot, window.card.ignore_button)
    decision, = read_decisions(window.profile.file(DECISIONS))
    assert decision.original == "مصطفي" and decision.decision == "ignored"
    assert len(decision.text) <= 2 * 400 + len(SENTENCE) + 2 * len(short) and SENTENCE in decision.text
    assert decision.text.startswith("هذه جملة") and decision.text.endswith("قصيرة.")  # whole sentences


def test_a_document_that_is_not_utf8_is_named_and_nothing_is_learned(window, qtbot, tmp_path):
    bad = tmp_path / "old.txt"
    bad.write_bytes("رايت مصطفي".encode("cp1256"))
    window.learn_from([str(bad)])
    qtbot.waitUntil(lambda: not window.learn_dialog.running, timeout=20000)
    message = window.learn_dialog.label.text()
    assert message.startswith("تعذّر التعلّم") and "old.txt:1" in message and "UTF-8" in message
    assert not window.profile.path.exists()
    window.learn_dialog.close()


def test_forgetting_a_word_a_pair_or_a_threshold_writes_the_profile_back(tmp_path):
    from nahawi_app.learned_view import forget, learned_items

    profile = Profile(tmp_path / "profile")
    profile.write_overlay({"مصطفي": 3, "يمشي": 1}, {("رايت", "مصطفي"): 2})
    profile.write_learned({"format": "nahawi-profile-learned/1", "thresholds": {"hamza": 0.6, "spacing": 0.4}})
    adapter = TaggerAdapter(HeadAdapter(np.ones((2, 8), np.float32), np.zeros((5, 2), np.float32), 8.0),
                            HeadAdapter(np.ones((2, 8), np.float32), np.zeros((3, 2), np.float32), 8.0), "a" * 64,
                            {"word_decided": 12, "mark_decided": 3})
    adapter.save(profile.file(ADAPTER))
    items = learned_items(profile, Strings("ar"))
    assert [key for key, _ in items["words"]] == [("مصطفي",), ("يمشي",)]  # most frequent first
    assert [line for _, line in items["adapter"]] == [
        "تكييف النموذج العصبي على كتابتك: تعلّم من قراراتك في 12 كلمة و3 علامة ترقيم"]
    forget(profile, "words", ("مصطفي",))
    forget(profile, "pairs", ("رايت", "مصطفي"))
    forget(profile, "thresholds", ("hamza",))
    forget(profile, "adapter", ("adapter",))
    assert profile.overlay() == ({"يمشي": 1}, {})
    assert profile.learned()["thresholds"] == {"spacing": 0.4}
    assert stat.S_IMODE(os.stat(profile.file(LEARNED)).st_mode) == 0o600
    assert not profile.file(ADAPTER).exists() and learned_items(profile, Strings("en"))["adapter"] == []


def _decision(text, original, replacement, decision):
    start = text.index(original)
    return {"text": text, "start": start, "end": start + len(original), "replacement": replacement,
            "kind": "hamza", "decision": decision}


def test_the_view_shows_learned_weights_and_decisions_and_a_word_goes_with_its_pairs(tmp_path):
    from nahawi_app.learned_view import forget, learned_items

    profile = Profile(tmp_path / "profile")
    profile.write_overlay({"مصطفي": 3, "يمشي": 1}, {("رايت", "مصطفي"): 2, ("يمشي", "على"): 1})
    profile.write_learned({"format": "nahawi-profile-learned/1", "gate": {"ratio": -0.4, "bigram": 0.2},
                           "punctuation": {"next=و": {"،": 0.3, ".": -0.1}}, "thresholds": {"hamza": 0.6}})
    text = "قال ان الطقس جميل اليوم"
    profile.write_decisions([_decision(text, "ان", "إن", "accepted"), _decision(text, "الطقس", "الطقسي", "ignored")])
    items = learned_items(profile, Strings("en"))
    assert [line for _, line in items["weights"]] == ["Suggestion check: 2 weights learned from your decisions",
                                                     "Punctuation model: 2 weights learned from your decisions"]
    assert [line for _, line in items["decisions"]] == ["Ignored: الطقس\u200e → \u200eالطقسي",
                                                       "Accepted: ان\u200e → \u200eإن"]  # the latest first
    forget(profile, "words", ("مصطفي",))  # a pair with it would still protect it
    assert profile.overlay() == ({"يمشي": 1}, {("يمشي", "على"): 1})
    forget(profile, "weights", ("gate",))
    assert "gate" not in profile.learned() and profile.learned()["thresholds"] == {"hamza": 0.6}
    forget(profile, "decisions", items["decisions"][0][0])  # the ignored one
    assert [(d.original, d.decision) for d in read_decisions(profile.file(DECISIONS))] == [("ان", "accepted")]
    assert stat.S_IMODE(os.stat(profile.file(DECISIONS)).st_mode) == 0o600


def test_forget_everything_asks_then_empties_the_profile_but_the_dictionary(make_window, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    window = make_window()
    profile = window.profile
    profile.write_overlay({"مصطفي": 3}, {})
    profile.write_decisions([_decision("قال ان الطقس جميل", "ان", "إن", "accepted")])
    profile.add_word("نحوي")
    window.actions_["learned"].trigger()
    dialog = window.learned_dialog
    answers = iter([dialog.strings("prompt_cancel"), dialog.strings("learned_forget_all_confirm")])
    seen = []

    def answer():  # the confirmation is modal: press one of its buttons as the writer would
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.layoutDirection())
        wanted = next(answers)
        qtbot.mouseClick(next(b for b in box.buttons() if b.text() == wanted), Qt.MouseButton.LeftButton)

    for _ in range(2):
        QTimer.singleShot(0, answer)
        _click(qtbot, dialog.forget_all_button)
        if len(seen) == 1:  # cancelled: nothing forgotten
            assert profile.overlay()[0] == {"مصطفي": 3} and read_decisions(profile.file(DECISIONS))
    assert profile.overlay() == ({}, {}) and read_decisions(profile.file(DECISIONS)) == []
    assert "نحوي" in profile.dictionary().words
    expected = Qt.LayoutDirection.RightToLeft if dialog.strings.arabic else Qt.LayoutDirection.LeftToRight
    assert seen == [expected, expected]
    assert dialog.lists["words"].item(0).flags() == Qt.ItemFlag.NoItemFlags  # "(nothing yet)"
    dialog.close()


def long_document(path, lines: int = 20_000):
    """The writer's own text, every line different (each is corrected, none comes from a cache): learning
    from it takes tens of seconds on the tiny model."""
    path.write_text("".join(f"{SENTENCES[k % len(SENTENCES)]} {k}\n" for k in range(lines)), encoding="utf-8")
    return path


def _profile_bytes(profile) -> dict:
    return {p.name: p.read_bytes() for p in sorted(profile.path.iterdir())}


def _learning_started(window, qtbot):
    """Wait until the learning has corrected some of the document: it is in the middle of it."""
    qtbot.waitUntil(lambda: window.learn_dialog.bar.value() > 0, timeout=20000)


def test_a_check_completes_while_learning_runs_and_cancel_leaves_the_profile_as_it_was(make_window, own_engine,
                                                                                       qtbot, tmp_path):
    """Regression: learning ran on the worker thread, so what the writer typed was checked only once it ended
    (and its dialog was window-modal)."""
    window = make_window(engine=lambda: own_engine, settings=AppSettings(check_while_typing=True))
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    window.profile.write_overlay({"الطالب": 2}, {})  # learned before: kept as it is by a cancelled learning
    before = _profile_bytes(window.profile)
    _choose(window, long_document(tmp_path / "mine.txt"))
    _learning_started(window, qtbot)
    window.editor.setFocus()
    type_text(window.editor, "ذهب الطالب الى المدرسة في الصباح الباكر")  # the model writes إلى
    qtbot.waitUntil(lambda: _issue(window, "الى") is not None, timeout=20000)  # underlined while it learns
    assert window.learn_dialog.running and window.learn_job.running
    assert window.learn_status.isVisible() and window.learn_status.text().startswith("يتعلّم نحوي…")
    window.actions_["learn"].trigger()  # a second learning is refused, with a message
    assert window.statusBar().currentMessage().startswith("نحوي يتعلّم من كتاباتك الآن")
    assert window.findChild(QFileDialog, "learn_files").isHidden() and window.learn_job.running
    window.actions_["learned"].trigger()  # nothing can be forgotten meanwhile: the learning would write it back
    assert not window.learned_dialog.remove_button.isEnabled()
    window.learned_dialog.close()
    _click(qtbot, window.learn_dialog.buttons.button(window.learn_dialog.buttons.StandardButton.Cancel))
    assert window.learn_dialog.label.text() == "يتوقف…"
    qtbot.waitUntil(lambda: not window.learn_dialog.running, timeout=20000)
    assert window.learn_dialog.label.text() == "أُلغي التعلّم، ولم يتغيّر شيء في ملفك الشخصي."
    assert window.learn_job.wait(20) and _profile_bytes(window.profile) == before
    assert window.learn_status.isHidden() and window.learned_dialog.remove_button.isEnabled()
    window.learn_dialog.close()


def test_closing_the_window_while_it_learns_stops_the_learning_and_writes_nothing(make_window, own_engine,
                                                                                 qtbot, tmp_path):
    window = make_window(engine=lambda: own_engine)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    _choose(window, long_document(tmp_path / "mine.txt"))
    _learning_started(window, qtbot)
    job = window.learn_job
    window.close()
    assert job.wait(20) and not window.profile.path.exists()  # stopped before anything was written


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "model.json").is_file(), reason="the shipped model is not installed")
def test_a_word_of_the_writers_stops_being_flagged_once_learned_on_the_shipped_model(make_window, qtbot, tmp_path):
    """The shipped model's lexicon respells the writer's term; learned from their documents (other
    sentences), it is known vocabulary: not flagged in a new sentence, until it is forgotten in the view."""
    from nahawi.engine import Corrector, CorrectorOptions

    window = make_window(engine=lambda: Corrector.from_dir(None, device="cpu", options=CorrectorOptions(threads=1)))
    qtbot.waitUntil(lambda: window.info is not None, timeout=60000)
    check(qtbot, window, "كتبت مقالا عن الايديولوجيا الثقافية.")
    assert _issue(window, "الايديولوجيا").edit.replacement == "الأيديولوجيا"
    mine = tmp_path / "mine.md"
    mine.write_text("درست الايديولوجيا في الجامعة سنوات طويلة.\n\nتشغل الايديولوجيا كثيرا من الباحثين.\n",
                    encoding="utf-8")
    _learn_from(window, qtbot, mine)
    assert _issue(window, "الايديولوجيا") is None
    assert window.profile.overlay()[0]["الايديولوجيا"] == 2
    window.learn_dialog.close()
    window.actions_["learned"].trigger()  # forgetting the word in the view: flagged again
    listed = window.learned_dialog.lists["words"]
    row = next(r for r in range(listed.count()) if listed.item(r).data(Qt.ItemDataRole.UserRole) == ("الايديولوجيا",))
    QTest.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=listed.visualItemRect(listed.item(row)).center())
    with qtbot.waitSignal(window.checked, timeout=20000):
        _click(qtbot, window.learned_dialog.remove_button)
    assert _issue(window, "الايديولوجيا") is not None and "الايديولوجيا" not in window.profile.overlay()[0]
    window.learned_dialog.close()


def test_a_word_document_is_learned_from_as_its_text(make_window, own_engine, qtbot, tmp_path):
    from test_office import write_docx

    window = make_window(engine=lambda: own_engine)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    window.learn_from([str(write_docx(tmp_path / "mine.docx"))])
    qtbot.waitUntil(lambda: not window.learn_dialog.running, timeout=20000)
    words, pairs = window.profile.overlay()
    assert {"خلية", "مسافة", "الطالب"} <= set(words) and ("ذهب", "الطالب") in pairs
    assert "محذوف" not in words  # a deleted tracked change is not the writer's text
    window.learn_dialog.close()


def test_ignored_at_a_paragraphs_start_it_is_not_suggested_there_again(make_window, own_engine, qtbot):
    """The decision carries its paragraph (where the word has nothing before it); the check reads the whole
    document (where the paragraph above ends just before it): both key the place alike."""
    window = make_window(engine=lambda: own_engine)
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    wish = "اريد ان اتعلم اللغة العربية وقواعدها"  # the model writes أريد, أن, أتعلم
    document = "سطر بلا أخطاء.\n" + wish
    check(qtbot, window, document)
    assert {"اريد", "ان", "اتعلم"} <= {i.edit.original for i in window.layer.issues}
    window.show_card(_issue(window, "اريد"))
    _click(qtbot, window.card.ignore_button)
    for original in ("ان", "اتعلم"):  # accepted: the same kind of respelling is still wanted elsewhere
        window.show_card(_issue(window, original))
        _click(qtbot, window.card.accept_button)
    decision = read_decisions(window.profile.file(DECISIONS))[0]
    assert (decision.text, decision.start, decision.decision) == (wish, 0, "ignored")
    window.learn_from([])
    qtbot.waitUntil(lambda: not window.learn_dialog.running, timeout=30000)
    window.learn_dialog.close()
    window.editor.document().setModified(False)
    window.actions_["new"].trigger()  # a new document: this one's own "ignore" memory is not there
    assert not window.layer.ignore_rules
    check(qtbot, window, document)
    assert _issue(window, "اريد") is None
    assert {"ان", "اتعلم"} <= {i.edit.original for i in window.layer.issues}
