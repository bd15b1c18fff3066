"""The main window: wires the editor, the checking controller, the underlines, the card, the panels and files.

Owns the wiring and carries out what the user asks from the card, the panel and the menus; the document's
life on disk (new, open, save, close prompt, autosave and recovery) is `document_files.DocumentFiles`. Checking results arrive from `worker.CheckController`
already filtered to the current revision; this window only decides which edits are visible (enabled kinds,
dictionary) and hands them to `highlight.IssueLayer`. Errors are shown here, on the GUI thread, as notices
that leave the editor usable. A document longer than `LargeDocuments.threshold_chars` opens in
`large_editor.LargeEditor` instead of `NahawiEditor` (the window then builds a new issue layer on it and says
so in the status bar).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QPoint, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from nahawi.alternatives import alternatives
from nahawi.contract import Edit
from nahawi_app import editor as editor_module
from nahawi_app.actions import build_actions, fill_recent, retranslate_actions
from nahawi_app.card import IssueCard
from nahawi_app.document_files import DocumentFiles
from nahawi_app.editor import NahawiEditor
from nahawi_app.files import AutosaveStore, IgnoreStore, LoadedText
from nahawi_app.find import FindBar
from nahawi_app.help import about_box, shortcuts_dialog
from nahawi_app.highlight import Issue, IssueLayer, Utf16Map
from nahawi_app.interface import use_fallback_font, use_interface_language
from nahawi_app.issues import document_text
from nahawi_app.large_editor import LargeDocuments, LargeEditor
from nahawi_app.panel import MAX_LISTED, IssuePanel, NoticeArea
from nahawi_app.settings import AppSettings, SettingsDialog, SettingsStore
from nahawi_app.strings import Strings
from nahawi_app.worker import CheckController, CheckResult, EngineFactory, PartialResult, engine_factory
from nahawi_app.writer_learning import WriterLearning

AUTOSAVE_MS = 2_000  # a draft is written this long after the first change since the last record: a crash
# loses at most this much typing (a 30 s clock lost up to 30 s)


def _engine_settings(settings: AppSettings) -> dict:
    """The settings the engine is loaded with: a change to any of them loads it again."""
    return {"model_dir": settings.model_dir, "strict": settings.strict, "learner": settings.learner,
            "latin_marks": settings.latin_marks}


def default_data_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class MainWindow(WriterLearning, DocumentFiles, QMainWindow):
    checked = Signal(object)  # CheckResult, after its underlines are shown (a long one's: those on screen)

    def __init__(self, store: SettingsStore, *, settings: AppSettings | None = None,
                 data_dir: str | Path | None = None, engine: EngineFactory | None = None,
                 autosave_ms: int = AUTOSAVE_MS, offer_recovery: bool = True, run_only: dict | None = None,
                 large: LargeDocuments | None = None):
        """store keeps the settings; settings (default: the store's) are what this run starts with, and
        run_only (field -> value, e.g. from --model and --lang) overrides them for this run without ever
        being saved; engine loads the Corrector on the worker thread (default: from settings.model_dir);
        large says which documents open in the large-document editor."""
        super().__init__()
        self.large = large or LargeDocuments()
        self.run_only = dict(run_only or {})
        self.store = store
        self.settings = dataclasses.replace(settings or store.load(), **self.run_only)
        self.strings = Strings(self.settings.language)
        self.path, self.loaded = "", LoadedText("")
        self.info = None
        self._build_widgets()
        self.layer = IssueLayer(self.editor)
        # Through self.editor each time: opening a large document replaces the editor (`_use_editor_for`).
        self.controller = CheckController(lambda: self.editor.plain_text(), self, lambda: self.editor.visible_lines())
        self.actions_ = build_actions(self, self.dock.toggleViewAction())
        self._connect()
        self.autosave = AutosaveStore(Path(data_dir or default_data_dir()) / "autosave")
        self.ignores = IgnoreStore(Path(data_dir or default_data_dir()) / "ignored")
        self._autosaved_revision = -1
        self.autosave_timer = QTimer(self, singleShot=True, interval=autosave_ms, timeout=self.autosave_now)
        self.apply_settings(self.settings, initial=True)
        self._check_fonts()
        self.setup_learning()
        self.controller.load_engine(engine or engine_factory(**_engine_settings(self.settings)))
        if offer_recovery:
            self.offer_recovery()

    # --- construction -----------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.editor: NahawiEditor | LargeEditor = NahawiEditor()
        self.notices = NoticeArea()
        self.find_bar = FindBar(self.editor, self.strings)
        central = QWidget()
        self.central_layout = layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for widget in (self.notices, self.editor, self.find_bar):
            layout.addWidget(widget)
        self.setCentralWidget(central)
        self.panel = IssuePanel(self.strings)
        self.dock = QDockWidget()
        self.dock.setObjectName("issues")
        self.dock.setWidget(self.panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.card = IssueCard(self.strings, self)
        self.status_labels = {name: QLabel() for name in ("mode", "model", "device", "words", "issues", "state")}
        self.words = 0  # in the text of the last check
        for label in self.status_labels.values():
            self.statusBar().addPermanentWidget(label)
        self.resize(1100, 720)

    def _connect(self) -> None:
        self._connect_editor()
        c = self.controller
        c.result.connect(self._on_result)
        c.partial.connect(self._on_partial)
        c.progress.connect(self._on_progress)
        c.state_changed.connect(lambda _: self._update_status())
        c.engine_ready.connect(self._on_engine_ready)
        c.engine_failed.connect(self._on_engine_failed)
        c.check_error.connect(lambda message: self.statusBar().showMessage(
            self.strings("check_failed", error=message), 8000))
        self.card.accept_requested.connect(self.accept_issue)
        self.card.spelling_requested.connect(self.accept_spelling)
        self.card.ignore_requested.connect(self.ignore_issue)
        self.card.dictionary_requested.connect(self.add_to_dictionary)
        self.card.ignore_word_requested.connect(self.ignore_word)
        self.card.disable_kind_requested.connect(self.disable_kind)
        self.panel.issue_activated.connect(self.jump_to)
        self.panel.accept_all_requested.connect(self.accept_all)

    def _connect_editor(self) -> None:
        """Connect the editor, its document and its issue layer (again after `_use_editor_for` replaced them)."""
        document = self.editor.document()
        document.contentsChanged.connect(self._on_text_changed)
        document.modificationChanged.connect(lambda _: self._update_title())
        self.layer.changed.connect(self._on_issues_changed)
        self.editor.hovered.connect(self._on_hover)
        self.editor.clicked.connect(self._on_click)
        self.editor.escape_pressed.connect(self.card.hide)
        self.editor.context_menu_opening.connect(self._fill_context_menu)

    def _load_document(self, loaded: LoadedText, path: str) -> None:
        self._use_editor_for(loaded.text)
        super()._load_document(loaded, path)

    def _use_editor_for(self, text: str) -> None:
        """Put the editor text needs in place (`large_editor` says why a large document gets another one),
        with a new issue layer on it; the old editor, its document and its layer go."""
        large = self.large.wants_large(text)
        if large == isinstance(self.editor, LargeEditor):
            return
        old, focused = self.editor, self.editor.hasFocus()
        self.editor = LargeEditor() if large else NahawiEditor()
        self.editor.set_zoom(self.settings.zoom)
        self.central_layout.replaceWidget(old, self.editor)
        old.hide()
        self.editor.show()  # a widget added to a shown window stays hidden until shown
        old.deleteLater()  # its document and its layer with it
        self.layer = IssueLayer(self.editor)
        self.find_bar.editor = self.editor
        self._connect_editor()
        if focused:
            self.editor.setFocus()
        self._update_status()

    # --- settings and language --------------------------------------------------------------------------

    def apply_settings(self, new: AppSettings, initial: bool = False) -> None:
        old, self.settings = self.settings, new
        if not initial:
            self.store.save(self._to_save(new))
        self.controller.configure(new.check_while_typing, new.delay_ms, new.min_confidence,
                                  punctuation="punctuation" in new.enabled_kinds)
        self.editor.set_zoom(new.zoom)
        if initial or new.language != old.language:
            self.retranslate(Strings(new.language))
        if not initial and _engine_settings(new) != _engine_settings(old):
            self.controller.load_engine(engine_factory(**_engine_settings(new)))
        elif not initial and (new.enabled_kinds, new.dictionary, new.min_confidence) != (
                old.enabled_kinds, old.dictionary, old.min_confidence):
            self.layer.refilter(self.visible)
            self.controller.check_now()  # hidden edits may now show; unchanged sentences come from the cache
        fill_recent(self.actions_, new.recent_files, self.open_path, self.strings)
        self._update_status()

    def _to_save(self, settings: AppSettings) -> AppSettings:
        """settings as the store should keep them: a run-only value the user has not changed since is
        replaced by the stored one (choosing another value in Settings is a real choice and is kept)."""
        stored = self.store.load()
        kept = {name: getattr(stored, name) for name, value in self.run_only.items()
                if getattr(settings, name) == value}
        return dataclasses.replace(settings, **kept)

    def retranslate(self, strings: Strings) -> None:
        self.strings = strings
        use_interface_language(strings.arabic)
        direction = Qt.LayoutDirection.RightToLeft if strings.arabic else Qt.LayoutDirection.LeftToRight
        self.setLayoutDirection(direction)
        retranslate_actions(self.actions_, strings)
        for widget in (self.panel, self.card, self.find_bar):
            widget.retranslate(strings)
        self.dock.setWindowTitle(strings("panel_title"))
        self._update_title()
        self._update_status()

    def _check_fonts(self) -> None:
        families = editor_module.bundled_families()
        use_fallback_font(families)
        if not editor_module.has_arabic_font(self.editor.document().defaultFont().families()):
            self.notices.notify("font", self.strings("no_arabic_font"), self._dismiss("font"), "error")

    def visible(self, edit: Edit) -> bool:
        return edit.kind in self.settings.enabled_kinds and edit.original.strip() not in self.settings.dictionary

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.strings, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.apply_settings(dialog.result_settings())

    # --- checking ---------------------------------------------------------------------------------------

    def _on_text_changed(self) -> None:
        self.controller.document_changed()
        if not self.autosave_timer.isActive():  # armed by the first change, not pushed back by the next ones
            self.autosave_timer.start()
        if self.card.isVisible():
            self.card.hide()

    def _on_result(self, result: CheckResult) -> None:
        self.words = result.words
        self.layer.set_result(result.text, result.correction.edits, self.visible)
        self.checked.emit(result)

    def _on_partial(self, result: PartialResult) -> None:
        """The lines on screen of a long document are checked: their underlines now, the rest kept."""
        mapping = Utf16Map(result.text)
        spans = [(mapping.to_utf16(start), mapping.to_utf16(end)) for start, end in result.spans]
        self.layer.set_result(result.text, result.edits, self.visible, within=spans, mapping=mapping)

    def _on_progress(self, share: float) -> None:
        self.status_labels["state"].setText(self.strings("status_checking_share", percent=round(100 * share)))

    def _on_engine_ready(self, info) -> None:
        self.info = info
        self.notices.dismiss("model")
        self._update_status()

    def _on_engine_failed(self, message: str) -> None:
        self.info = None
        self.layer.clear()
        text = Strings("ar")("model_failed", error=message)  # always in Arabic, and in English when chosen
        if not self.strings.arabic:
            text += "\n\n" + self.strings("model_failed", error=message)
        self.notices.notify("model", text, [(self.strings("open_settings"), self.open_settings),
                                            (self.strings("dismiss"), lambda: self.notices.dismiss("model"))],
                            level="error")
        self._update_status()

    def check_now(self) -> None:
        self.controller.check_now()

    def _on_issues_changed(self) -> None:
        self.panel.set_issues(self.layer.first_issues(MAX_LISTED), self.layer.count, self.layer.kind_counts())
        self._update_status()

    def _update_status(self) -> None:
        s, labels = self.strings, self.status_labels
        if self.info is not None:
            labels["model"].setText(s("status_model", name=self.info.model_name))
            labels["device"].setText(s("device_gpu" if self.info.device == "cuda" else "device_cpu"))
        else:
            labels["model"].setText(s("status_loading") if self.controller.state == "loading" else
                                    s("status_no_model"))
            labels["device"].setText("")
        labels["mode"].setText(s("status_large_document") if isinstance(self.editor, LargeEditor) else "")
        labels["mode"].setToolTip(s("large_document_note") if isinstance(self.editor, LargeEditor) else "")
        labels["issues"].setText(s("status_issues", count=self.layer.count))
        labels["words"].setText(s("status_words", count=self.words))
        state = {"checking": "status_checking", "checked": "status_checked", "waiting": "status_waiting",
                 "off": "status_off", "failed": "status_check_failed", "loading": "status_loading",
                 "no_model": "status_no_model"}[self.controller.state]
        labels["state"].setText(s(state))

    # --- issues -----------------------------------------------------------------------------------------

    def show_card(self, issue: Issue) -> None:
        """The card for issue, next to its words and on the side their line reads from."""
        editor = self.editor
        self.card.show_issue(issue, editor.span_rect(issue.start, issue.end), editor.is_right_to_left_at(issue.start),
                             self.other_spellings(issue))

    def other_spellings(self, issue: Issue) -> tuple[str, ...]:
        """Spellings of the issue's word besides its replacement that the engine's lexicon knows, best
        first (`nahawi.alternatives`, as the language server's extra quick fixes), read in its paragraph."""
        if self.controller.lexicon is None:
            return ()
        document = self.editor.document()
        block = document.findBlock(issue.start)
        paragraph = document_text(document, block.position(), block.position() + block.length() - 1)
        start = len(document_text(document, block.position(), issue.start))  # code points before the word
        return alternatives(self.controller.lexicon, paragraph, start, issue.edit)

    def _on_hover(self, position: int, point: QPoint) -> None:
        issue = self.layer.issue_at(position) if position >= 0 else None
        if issue is not None:
            self.show_card(issue)
        else:
            self.card.schedule_hide()

    def _on_click(self, position: int, point: QPoint) -> None:
        issue = self.layer.issue_at(position)
        if issue is not None:
            self.layer.set_current(issue)
            self.show_card(issue)

    def _fill_context_menu(self, menu: QMenu, position: int) -> None:
        issue = self.layer.issue_at(position) if position >= 0 else None
        if issue is not None:
            self.card.add_choices(menu, issue, self.other_spellings(issue))

    def jump_to(self, issue: Issue) -> None:
        cursor = self.editor.textCursor()
        cursor.setPosition(issue.start)
        cursor.setPosition(issue.end, cursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)  # from the issue panel too: typing goes to the text
        self.layer.set_current(issue)
        self.show_card(issue)

    def next_issue(self, backwards: bool = False) -> Issue | None:
        issue = self.layer.neighbour(self.editor.textCursor().selectionStart(), backwards)
        if issue is not None:
            self.jump_to(issue)
        return issue

    def previous_issue(self) -> Issue | None:
        return self.next_issue(backwards=True)

    def accept_issue(self, issue: Issue) -> bool:
        """Apply one suggestion the writer chose, and record it as accepted (its paragraph before the fix)."""
        if not (self.layer.contains(issue) and issue.is_intact()):
            return False
        self.record(issue, "accepted")
        return self.layer.accept(issue)

    def accept_spelling(self, issue: Issue, spelling: str) -> bool:
        """Put another spelling the writer chose in the issue's place (not recorded as accepting the engine's
        suggestion: as the language server's other-spelling quick fixes)."""
        return self.layer.contains(issue) and issue.is_intact() and self.layer.accept(issue, spelling)

    def accept_current(self) -> bool:
        issue = self.layer.current or self.layer.issue_at(self.editor.textCursor().position())
        return issue is not None and self.accept_issue(issue)

    def accept_all(self, kinds: tuple[str, ...] | None = None) -> int:
        """Accept every visible issue (of kinds, when given) as one undo step."""
        self.card.hide()
        return self.layer.accept_all(kinds)

    def ignore_issue(self, issue: Issue) -> None:
        if self.layer.contains(issue):
            self.record(issue, "ignored")
        self.layer.ignore(issue)
        self.keep_ignores()

    def ignore_word(self, issue: Issue) -> None:
        """Hide every issue on this word in this document (now and in later checks), not in others."""
        word = issue.edit.original.strip()
        if word:
            if self.layer.contains(issue):
                self.record(issue, "ignored")
            self.layer.ignore_word(word)
            self.keep_ignores()

    def keep_ignores(self, path: str | None = None) -> None:
        """Write what is ignored in this document beside it in the app data (an untitled one's on saving)."""
        path = self.path if path is None else path
        rules = self.layer.ignore_rules
        if path:
            try:
                self.ignores.save(path, rules.words, rules.occurrences)
            except OSError as error:
                self.statusBar().showMessage(str(error), 5000)

    def add_to_dictionary(self, issue: Issue) -> None:
        word = issue.edit.original.strip()
        if word and word not in self.settings.dictionary:
            self.apply_settings(dataclasses.replace(self.settings, dictionary=(*self.settings.dictionary, word)))
        self.layer.remove_where(lambda i: i.edit.original.strip() == word)

    def disable_kind(self, kind: str) -> None:
        kinds = tuple(k for k in self.settings.enabled_kinds if k != kind)
        self.apply_settings(dataclasses.replace(self.settings, enabled_kinds=kinds))

    # --- editing and view -------------------------------------------------------------------------------

    def undo(self) -> None:
        self.editor.undo()

    def redo(self) -> None:
        self.editor.redo()

    def show_find(self) -> None:
        self.find_bar.open_bar()

    def show_shortcuts(self) -> None:
        self.help_dialog = shortcuts_dialog(self.actions_, self.strings, self)
        self.help_dialog.open()

    def show_about(self) -> None:
        self.help_dialog = about_box(self.strings, self.info.model_name if self.info else None, self)
        self.help_dialog.open()

    def zoom_in(self) -> None:
        self._set_zoom(self.settings.zoom + 1)

    def zoom_out(self) -> None:
        self._set_zoom(self.settings.zoom - 1)

    def zoom_reset(self) -> None:
        self._set_zoom(0)

    def _set_zoom(self, zoom: int) -> None:
        self.apply_settings(dataclasses.replace(self.settings, zoom=max(-8, min(40, zoom))))
