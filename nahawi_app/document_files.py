"""The window's document on disk: new, open, save, the unsaved-changes prompt, close, autosave and recovery.

Owns what happens between the editor's text and files, as a part of `MainWindow` (a mixin: it uses the
window's editor, layer, notices, controller, settings and strings). Reading, decoding and writing bytes are
`files` (and `office` for .docx and .odt); this part decides what the writer is told and asked: a document
opened from a .docx or .odt is saved as .docx with its paragraphs, after the writer has been told once that
its formatting is not kept. Knows nothing of checking or underlines.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from nahawi.errors import InputError
from nahawi_app.files import (
    NEWLINES,
    AutosaveRecord,
    EncodingProblem,
    LoadedText,
    decode_as,
    encode_for_save,
    read_text_file,
    save_atomic,
)
from nahawi_app.interface import file_dialog
from nahawi_app.office import docx_bytes, is_office_file, read_office_text
from nahawi_app.settings import with_recent


class DocumentFiles:
    """The file side of `MainWindow`."""

    save_suggestion = ""  # where Save as proposes to write an imported document (a .docx: itself)
    office_source = ""  # the .docx or .odt this document's text was opened from ("" for anything else)
    formatting_told = False  # the writer agreed to save it without the original's formatting

    # --- files ------------------------------------------------------------------------------------------

    def _update_title(self) -> None:
        name = Path(self.path).name if self.path else self.strings("untitled")
        self.setWindowTitle(f"{name}[*] — {self.strings('app_title')}")
        self.setWindowModified(self.editor.document().isModified())

    def new_document(self) -> None:
        if self.maybe_save():
            self._load_document(LoadedText(""), "")

    def open_dialog(self) -> None:
        dialog = file_dialog(self, self.strings, self.strings("act_open"),
                             str(Path(self.path).parent) if self.path else "", self.strings("file_filter"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        chosen = dialog.selectedFiles() if dialog.exec() == QDialog.DialogCode.Accepted else []
        dialog.deleteLater()
        if chosen:
            self.open_path(chosen[0])

    def open_path(self, path: str | Path) -> bool:
        """Open a UTF-8 file; anything else is reported (with an offer to convert) and nothing is loaded."""
        path = str(Path(path).absolute())
        if not self.maybe_save():
            return False
        if is_office_file(path):
            return self._import_office(path)
        try:
            loaded = read_text_file(path)
        except EncodingProblem as problem:
            self._report_encoding(problem)
            return False
        except InputError as error:
            self.notices.notify("file", self.strings("open_failed", error=error), self._dismiss("file"), "error")
            return False
        self._load_document(loaded, path)
        return True

    def _import_office(self, path: str) -> bool:
        """Open a .docx or .odt file's text as a new, unsaved document: saving asks for a name (for a .docx,
        proposing the original; for an .odt, a .txt beside it), and the first save as .docx first says that
        the original's formatting is not kept (`save_to`)."""
        try:
            text = read_office_text(path)
        except InputError as error:
            self.notices.notify("file", self.strings("open_failed", error=error), self._dismiss("file"), "error")
            return False
        self._load_document(LoadedText(text), "")
        self.office_source = path
        self.save_suggestion = path if Path(path).suffix.lower() == ".docx" else str(Path(path).with_suffix(".txt"))
        self.editor.document().setModified(True)
        self.notices.notify("converted", self.strings("imported", name=Path(path).name), self._dismiss("converted"),
                            "info")
        return True

    def _report_encoding(self, problem: EncodingProblem) -> None:
        s = self.strings
        text = s("not_utf8", name=problem.path.name, offset=problem.offset, guess=problem.guess_label)
        actions = [(s("open_as", guess=problem.guess_label), lambda: self.open_converted(problem.path,
                                                                                          problem.guess))]
        self.notices.notify("file", text, (actions if problem.guess else []) + self._dismiss("file"), "error")

    def open_converted(self, path: str | Path, encoding: str) -> bool:
        """Open a file decoded from encoding at the user's request; it stays unsaved until saved as UTF-8."""
        try:
            loaded = decode_as(path, encoding)
        except InputError as error:
            self.notices.notify("file", self.strings("open_failed", error=error), self._dismiss("file"), "error")
            return False
        self.notices.dismiss("file")
        self._load_document(loaded, str(path))
        self.editor.document().setModified(True)
        self.notices.notify("converted", self.strings("converted", encoding=loaded.encoding),
                            self._dismiss("converted"), "info")
        return True

    def _dismiss(self, key: str) -> list:
        return [(self.strings("dismiss"), lambda: self.notices.dismiss(key))]

    def _load_document(self, loaded: LoadedText, path: str) -> None:
        self.save_suggestion, self.office_source, self.formatting_told = "", "", False
        self.card.hide()
        self.layer.clear()
        self.editor.load_text(loaded.text)
        self.path, self.loaded = path, loaded
        if path:
            self.layer.ignore_rules.words, self.layer.ignore_rules.occurrences = self.ignores.load(path)
        for key in ("file", "converted", "notes"):
            self.notices.dismiss(key)
        self._report_notes(loaded)
        if path:
            self.apply_settings(with_recent(self.settings, path))
        self._update_title()

    def _report_notes(self, loaded: LoadedText) -> None:
        s, notes = self.strings, []
        if loaded.bom:
            notes.append(s("note_bom"))
        if loaded.mixed_newlines:
            notes.append(s("note_mixed_newlines", newline=NEWLINES[loaded.newline]))
        if loaded.paragraph_separators:
            notes.append(s("note_separators"))
        if notes:
            self.notices.notify("notes", s("file_notes", notes="؛ ".join(notes) if s.arabic else "; ".join(notes)),
                                self._dismiss("notes"), "info")

    def save(self) -> bool:
        return self.save_to(self.path) if self.path else self.save_as()

    def save_as(self) -> bool:
        """Ask where to save (text, or .docx: chosen by the name's suffix, or added when the Word filter is
        chosen for a name without one)."""
        suggestion = self.path or self.save_suggestion
        filters = self.strings("save_filter")
        word = filters.split(";;")[1]
        dialog = file_dialog(self, self.strings, self.strings("act_save_as"), suggestion, filters)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        if suggestion.lower().endswith(".docx"):
            dialog.selectNameFilter(word)
        files = dialog.selectedFiles() if dialog.exec() == QDialog.DialogCode.Accepted else []
        path, chosen = (files[0] if files else ""), dialog.selectedNameFilter()
        dialog.deleteLater()
        if path and not Path(path).suffix and chosen == word:
            path += ".docx"
        return self.save_to(path) if path else False

    def save_to(self, path: str | Path) -> bool:
        """Write the document to path atomically: as .docx for a .docx name (a document opened from an office
        file only once the writer agreed to lose its formatting), else as UTF-8 text in its file's
        line-ending style; an .odt name is refused."""
        path = str(Path(path).absolute())
        loaded = dataclasses.replace(self.loaded, encoding="utf-8")
        suffix = Path(path).suffix.lower()
        if suffix == ".docx" and self.office_source and not self.formatting_told:
            if not self.confirm_formatting_loss(Path(path).name):
                return False
            self.formatting_told = True
        try:
            if suffix == ".odt":
                raise InputError(self.strings("odt_not_written"))
            text = self.editor.plain_text()
            save_atomic(path, docx_bytes(text) if suffix == ".docx" else encode_for_save(text, loaded))
        except (OSError, InputError) as error:
            self.notices.notify("file", self.strings("save_failed", error=error), self._dismiss("file"), "error")
            return False
        self.path, self.loaded = path, loaded
        self.keep_ignores(path)
        self.editor.document().setModified(False)
        self.autosave.clear()
        self.notices.dismiss("converted")
        self.apply_settings(with_recent(self.settings, path))
        self._update_title()
        self.statusBar().showMessage(self.strings("saved", path=path), 5000)
        return True

    def maybe_save(self) -> bool:
        """True when the document may be replaced: unmodified, saved, or the user chose to discard it."""
        if not self.editor.document().isModified():
            return True
        name = Path(self.path).name if self.path else self.strings("untitled")
        answer = self.ask_unsaved(name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def confirm_formatting_loss(self, name: str) -> bool:
        """Whether the writer agrees to save name (opened from a .docx or .odt) with its paragraphs only."""
        s = self.strings
        box = QMessageBox(QMessageBox.Icon.Warning, s("formatting_title"), s("formatting_text", name=name),
                          parent=self)
        save = box.addButton(s("formatting_save"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(s("prompt_cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        box.exec()
        return box.clickedButton() is save

    def ask_unsaved(self, name: str) -> str:
        """"save", "discard" or "cancel": the writer's answer to the unsaved-changes prompt, whose buttons
        say what they do in the interface language (Qt's Arabic "Discard" reads "reject")."""
        s = self.strings
        box = QMessageBox(QMessageBox.Icon.Warning, s("unsaved_title"), s("unsaved_text", name=name), parent=self)
        answers = {box.addButton(s("prompt_save"), QMessageBox.ButtonRole.AcceptRole): "save",
                   box.addButton(s("prompt_discard"), QMessageBox.ButtonRole.DestructiveRole): "discard"}
        cancel = box.addButton(s("prompt_cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(next(iter(answers)))
        box.setEscapeButton(cancel)
        box.exec()
        return answers.get(box.clickedButton(), "cancel")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.maybe_save():
            self.shutdown()
            event.accept()
        else:
            event.ignore()

    def shutdown(self) -> None:
        """Stop the worker and the timers and end the autosave session (its record is no longer needed)."""
        self.autosave_timer.stop()
        self.card.hide()
        self.controller.shutdown()
        self.autosave.close()

    # --- autosave and recovery --------------------------------------------------------------------------

    def autosave_now(self) -> None:
        document = self.editor.document()
        if not document.isModified():
            self.autosave.clear()
            return
        if self.controller.revision == self._autosaved_revision:
            return
        try:
            self.autosave.write(self.editor.plain_text(), self.path, self.loaded)
            self._autosaved_revision = self.controller.revision
        except OSError as error:
            self.statusBar().showMessage(str(error), 5000)

    def offer_recovery(self) -> None:
        """Offer the newest record left by an editor that did not close cleanly (one at a time)."""
        records = self.autosave.orphans()
        if not records:
            self.notices.dismiss("recover")
            return
        record, s = records[0], self.strings
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.saved_at))
        self.notices.notify("recover", s("recover", name=record.name or s("untitled"), when=when),
                            [(s("recover_yes"), lambda: self.restore(record)),
                             (s("recover_delete"), lambda: self.discard_recovery(record)),
                             (s("recover_later"), lambda: self.notices.dismiss("recover"))], "info")

    def restore(self, record: AutosaveRecord) -> bool:
        if not self.maybe_save():
            return False
        loaded = LoadedText(record.text, "utf-8", record.bom, record.newline)
        self._load_document(loaded, record.path)
        self.editor.document().setModified(True)
        self.autosave.discard(record)
        self.autosave_now()
        self.offer_recovery()
        return True

    def discard_recovery(self, record: AutosaveRecord) -> None:
        self.autosave.discard(record)
        self.offer_recovery()
