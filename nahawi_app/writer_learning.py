"""The window's side of learning from the writer (issue 17): a mixin of `window.MainWindow`.

Owns the wiring: the engine follows the settings store's profile (`learning.ProfileFollower` on the worker
thread; the profile's learned files are looked at every PROFILE_POLL_MS and before each check, and a
change checks the document again), the profile's dictionary followed the same way and as soon as a file
in the profile's folder is replaced (a QFileSystemWatcher: the language server or the CLI added a word),
the writer's decisions recorded as they accept and ignore unless they turned recording off (a checkable
action kept in the profile's settings, so the server and `nahawi adapt` honour it too), "learn from
my writing" (a file dialog, then `learning.LearnJob` on a thread of its own while checks go on, behind
`LearnDialog`, which does not block the window, and a percentage in the status bar; one learning at a time,
a second request is refused with a message; what it learned is taken up whole when it is over), and "what
Nahawi has learned" (`LearnedDialog`). Errors are shown on the GUI thread and lose nothing. Knows nothing
of how the profile is fitted.
"""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from nahawi.profile import ProfileError
from nahawi.profile.store import DICTIONARY
from nahawi_app.interface import file_dialog
from nahawi_app.issues import Issue
from nahawi_app.learned_view import LearnDialog, LearnedDialog
from nahawi_app.learning import LearnJob, LearnRequest, learned_stamp, record_decision
from nahawi_app.settings import SettingsDialog

PROFILE_POLL_MS = 2_000  # how often the profile's learned files are looked at (a `nahawi adapt` in a terminal)


class WriterLearning:
    """Mixed into MainWindow."""

    def setup_learning(self) -> None:
        """Before the engine loads: follow the profile, and prepare the learning job."""
        self.profile = self.store.profile
        self.controller.follow_profile(self.profile.path)
        self.controller.profile_problem.connect(self._on_profile_problem)
        self.card.disabled_on.connect(self._on_kind_disabled)
        self.learn_job = LearnJob(self.profile.path)
        self.learning = False  # a learning runs (until its end is handled here)
        self.learn_status = QLabel()  # its percentage, also once its dialog is closed
        self.learn_status.setObjectName("learn_status")
        self.learn_status.hide()
        self.statusBar().addPermanentWidget(self.learn_status)
        # Bound methods of the window, never lambdas: the job emits from its own thread, and only a slot of an
        # object of the GUI thread is queued to it.
        self.learn_job.progress.connect(self._on_learn_progress)
        self.learn_job.finished.connect(self._on_learned)
        self.learn_job.failed.connect(self._on_learn_failed)
        self.learn_job.cancelled.connect(self._on_learn_cancelled)
        self.learn_dialog = self.learned_dialog = self.learn_files = None
        self._profile_stamp = learned_stamp(self.profile.path)
        self._dictionary_stamp = learned_stamp(self.profile.path, (DICTIONARY,))
        self.profile_watcher = QFileSystemWatcher(self)
        self.profile_watcher.directoryChanged.connect(self.look_at_profile)
        self.profile_watcher.fileChanged.connect(self.look_at_profile)
        self._watch_profile()
        self.profile_timer = QTimer(self, interval=PROFILE_POLL_MS, timeout=self.look_at_profile)
        self.profile_timer.start()
        self.actions_.menus["check"].aboutToShow.connect(self.show_recording)
        self.show_recording()

    def shutdown(self) -> None:
        """Closing stops a learning in progress at its next step (nothing of it is written; the window does not
        wait for it) and the polling."""
        self.learn_job.cancel()
        self.learn_job.blockSignals(True)  # its end is for nobody now
        self.profile_timer.stop()
        super().shutdown()

    def look_at_profile(self) -> None:
        """Check again when the profile's learned files changed on disk (the worker applies them first);
        take up its dictionary when that changed."""
        self._watch_profile()
        stamp = learned_stamp(self.profile.path)
        if stamp != self._profile_stamp:
            self._profile_stamp = stamp
            self.controller.check_now()
        stamp = learned_stamp(self.profile.path, (DICTIONARY,))
        # Not under the settings dialog: the dictionary it shows is saved as the changes made in it.
        if stamp != self._dictionary_stamp and not isinstance(QApplication.activeModalWidget(), SettingsDialog):
            self._dictionary_stamp = stamp
            self.take_up_dictionary()

    def _watch_profile(self) -> None:
        """Watch the profile's folder (a file replaced in it) and dictionary (edited in place) once they
        exist; a replaced file drops out of the watch, so this is called again at each look."""
        paths = [str(p) for p in (self.profile.path, self.profile.file(DICTIONARY)) if p.exists()]
        missing = [p for p in paths if p not in self.profile_watcher.files() + self.profile_watcher.directories()]
        if missing:
            self.profile_watcher.addPaths(missing)

    def take_up_dictionary(self) -> None:
        """Hide what the profile's dictionary now holds (added by the language server, the CLI or by hand),
        and check again (a word removed may show again)."""
        words = self.store.load().dictionary
        if words == self.settings.dictionary:
            return
        self.settings = dataclasses.replace(self.settings, dictionary=words)
        self.layer.refilter(self.visible)
        self.controller.check_now()

    # --- recording decisions ----------------------------------------------------------------------------

    def show_recording(self) -> None:
        """The action's check mark as the profile's setting is now (`nahawi adapt --no-record-decisions` may
        have changed it); a settings file that cannot be read records nothing and shows unchecked."""
        try:
            on = self.profile.records_decisions()
        except ProfileError:
            on = False
        self.actions_["record_decisions"].setChecked(on)

    def toggle_recording(self) -> None:
        """Keep the action's new state in the profile's settings, for the app, the server and the CLI."""
        try:
            self.profile.set_records_decisions(self.actions_["record_decisions"].isChecked())
        except ProfileError as error:
            self.statusBar().showMessage(self.strings("record_setting_failed", error=error), 8000)
        self.show_recording()

    def _on_profile_problem(self, error: str) -> None:
        self.notices.notify("profile", self.strings("profile_failed", error=error), self._dismiss("profile"), "error")

    def record(self, issue: Issue, decision: str) -> None:
        problem = record_decision(self.profile, self.editor.document(), issue, decision)
        if problem is not None:
            self.statusBar().showMessage(self.strings("decision_failed", error=problem), 8000)

    def _on_kind_disabled(self, issue: Issue) -> None:
        """The writer turned a kind off from this suggestion's card: this suggestion was ignored."""
        if self.layer.contains(issue):
            self.record(issue, "ignored")

    # --- learn from my writing --------------------------------------------------------------------------

    def learn_from_writing(self) -> None:
        """Choose documents (a Qt file dialog, in the interface's direction), then learn from them."""
        if self.learning:
            self._refuse_learning()
            return
        dialog = file_dialog(self, self.strings, self.strings("learn_choose"), "", self.strings("learn_filter"))
        dialog.setObjectName("learn_files")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setLayoutDirection(self.layoutDirection())
        dialog.filesSelected.connect(self.learn_from)
        self.learn_files = dialog
        dialog.open()

    def learn_from(self, paths: list[str]) -> None:
        """Learn from the profile's decisions and paths on a thread of its own, behind a progress dialog that
        leaves the window free (checks go on meanwhile, with the profile as it was until the learning ends)."""
        if self.learning:
            self._refuse_learning()
            return
        self.learn_dialog = LearnDialog(self.strings, self)
        engine = self.controller.worker.engine  # only read by the learning (`learning.learner_of`)
        if self.info is None or engine is None:
            self.learn_dialog.done_with(self.strings("learn_no_model"))
        else:
            self._set_learning(True)
            self.learn_dialog.cancel_requested.connect(self.cancel_learning)
            self.learn_job.start(engine, LearnRequest(tuple(paths)))
            self._show_learn_status(0)
        self.learn_dialog.show()

    def _set_learning(self, learning: bool) -> None:
        self.learning = learning
        self.controller.worker.follower.held = learning
        if self.learned_dialog is not None:
            self.learned_dialog.set_learning(learning)

    def _refuse_learning(self) -> None:
        """A second learning while one runs: say so, and bring its dialog back."""
        self.statusBar().showMessage(self.strings("learn_busy"), 8000)
        if self.learn_dialog is not None:
            self.learn_dialog.show()
            self.learn_dialog.raise_()

    def cancel_learning(self) -> None:
        self.learn_job.cancel()

    def _on_learn_progress(self, done: int, total: int) -> None:
        if self.learn_dialog is not None:
            self.learn_dialog.set_progress(done, total)
        self._show_learn_status(round(100 * done / max(total, 1)))

    def _show_learn_status(self, percent: int) -> None:
        self.learn_status.setText(self.strings("learn_status", percent=percent))
        self.learn_status.show()

    def _on_learn_failed(self, error: str) -> None:
        self._learning_over(self.strings("learn_failed", error=error))

    def _on_learn_cancelled(self) -> None:
        self._learning_over(self.strings("learn_cancelled"))

    def _on_learned(self, report: dict) -> None:
        summary = report.get("summary", {})
        self._learning_over(self.strings(
            "learn_done", decisions=summary.get("decisions", 0), accepted=summary.get("accepted", 0),
            ignored=summary.get("ignored", 0), documents=report.get("documents", 0),
            words=report.get("new_words", 0), kinds=len(report.get("thresholds", {})),
            contexts=report.get("suppressed_contexts", 0), pairs=report.get("suppressed_pairs", 0)))

    def _learning_over(self, message: str) -> None:
        """Show how it ended, and check again with everything it wrote (the checks' engine takes the
        profile up whole, before the next check)."""
        self._set_learning(False)
        self.learn_status.hide()
        if self.learn_dialog is not None:
            self.learn_dialog.done_with(message)
        self._profile_stamp = learned_stamp(self.profile.path)
        self.controller.check_now()
        if self.learned_dialog is not None:
            self.learned_dialog.reload()

    # --- what Nahawi has learned ------------------------------------------------------------------------

    def show_learned(self) -> None:
        self.learned_dialog = LearnedDialog(self.profile, self.strings, self)
        self.learned_dialog.set_learning(self.learning)
        self.learned_dialog.changed.connect(self.look_at_profile)
        self.learned_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.learned_dialog.open()
