"""The two dialogs of "learn from my writing" (issue 17): the learning's progress with cancel, and the view of
what Nahawi has learned with a remove button for each item, written back to the profile.

Owns what removing an item means (`forget`): a word leaves overlay.tsv with the word pairs it is in, a word
pair leaves overlay.tsv; a kind's threshold, or the suggestion check's or the punctuation model's learned
weights, leave learned.json; the tagger's adapter is deleted (adapter.npz); a suggestion no longer made
(anywhere, or between two neighbours) leaves learned.json and so do the ignored decisions that taught it, from
the decisions log, so a later `nahawi adapt` does not learn it again (thresholds and weights are refitted from
every decision: a later adapt may learn them again); a decision leaves the log. "Forget everything" is
`Profile.reset` (the dictionary stays). Both dialogs are laid out in the interface's direction. Knows nothing
of the engine or the worker.
"""
from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from nahawi.errors import NahawiError
from nahawi.profile import Profile, read_decisions
from nahawi.profile.adapter import load_adapter
from nahawi.profile.store import ADAPTER, DECISIONS, ProfileError
from nahawi.profile.writer import Neighbours
from nahawi_app.strings import Strings

SECTIONS = ("words", "pairs", "thresholds", "suppressed", "weights", "adapter", "decisions")


def _direction(strings: Strings) -> Qt.LayoutDirection:
    return Qt.LayoutDirection.RightToLeft if strings.arabic else Qt.LayoutDirection.LeftToRight


def learned_items(profile: Profile, strings: Strings) -> dict[str, list[tuple[tuple, str]]]:
    """Per section, (key, the line shown) for each learned item; ProfileError for a file that cannot be used."""
    words, pairs = profile.overlay()
    learned = profile.learned()
    items = {"words": [((w,), f"{w}  ({c})") for w, c in sorted(words.items(), key=lambda wc: (-wc[1], wc[0]))],
             "pairs": [((a, b), f"{a} {b}  ({c})") for (a, b), c in sorted(pairs.items(), key=lambda pc: -pc[1])],
             "thresholds": [((k,), f"{k}: {v:.2f}") for k, v in sorted(learned.get("thresholds", {}).items())],
             "suppressed": [(("pair", *p), f"{p[0]}{strings.arrow}{p[1]}")
                            for p in learned.get("suppressed_pairs", [])]}
    items["suppressed"] += [(("context", *c), f"{c[0]} [{c[1]}{strings.arrow}{c[3]}] {c[2]}")
                            for c in learned.get("suppressed_contexts", [])]
    items["weights"] = [((name,), strings(f"learned_{name}_line", count=count)) for name, count in (
        ("gate", len(learned.get("gate", {}))),
        ("punctuation", sum(map(len, learned.get("punctuation", {}).values())))) if count]
    items["decisions"] = [((json.dumps(d.to_dict(), ensure_ascii=False, sort_keys=True),), strings(
        "learned_decision_accepted" if d.accepted else "learned_decision_ignored",
        change=f"{d.original or '∅'}{strings.arrow}{d.replacement or '∅'}")) for d in reversed(
        read_decisions(profile.file(DECISIONS)))]  # the latest first
    adapter = load_adapter(profile.file(ADAPTER))
    items["adapter"] = [] if adapter is None else [(("adapter",), strings(
        "learned_adapter_line", words=adapter.info.get("word_decided", 0), marks=adapter.info.get("mark_decided", 0)))]
    return items


def _taught(decision, key: tuple) -> bool:
    """Whether an ignored decision taught the suppression key (("pair", original, replacement) or
    ("context", before, original, after, replacement))."""
    if decision.accepted:
        return False
    if key[0] == "pair":
        return (decision.original, decision.replacement) == key[1:]
    return Neighbours(decision.text).key(decision.start, decision.end, decision.replacement) == key[1:]


def forget(profile: Profile, section: str, key: tuple) -> None:
    """Remove one learned item from the profile (see the module docstring); ProfileError when it cannot."""
    if section == "adapter":  # the tagger's adapter: the decisions that taught it stay (a later adapt refits it)
        try:
            profile.file(ADAPTER).unlink(missing_ok=True)
        except OSError as error:
            raise ProfileError(f"{profile.file(ADAPTER)}: cannot be removed ({error.strerror or error})") from None
        return
    if section in ("words", "pairs"):
        words, pairs = profile.overlay()
        if section == "words":  # a pair with the word would still keep it from being corrected there
            words.pop(key[0], None)
            pairs = {pair: count for pair, count in pairs.items() if key[0] not in pair}
        else:
            pairs.pop(key, None)
        profile.write_overlay(words, pairs)
        return
    if section == "decisions":
        decisions = read_decisions(profile.file(DECISIONS))
        kept = [d for d in decisions if json.dumps(d.to_dict(), ensure_ascii=False, sort_keys=True) != key[0]]
        if len(kept) != len(decisions):
            profile.write_decisions(d.to_dict() for d in kept)
        return
    learned = profile.learned()
    if section == "thresholds":
        learned.get("thresholds", {}).pop(key[0], None)
    elif section == "weights":
        learned.pop(key[0], None)
    else:
        name = "suppressed_pairs" if key[0] == "pair" else "suppressed_contexts"
        learned[name] = [item for item in learned.get(name, []) if tuple(item) != key[1:]]
        decisions = read_decisions(profile.file(DECISIONS))
        kept = [d for d in decisions if not _taught(d, key)]
        if len(kept) != len(decisions):
            profile.write_decisions(d.to_dict() for d in kept)
    profile.write_learned(learned)


class LearnedDialog(QDialog):
    """What Nahawi has learned, a tab per section, each item removable."""

    changed = Signal()  # an item was removed from the profile

    def __init__(self, profile: Profile, strings: Strings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("learned")
        self.profile, self.strings = profile, strings
        self.setWindowTitle(strings("learned_title"))
        self.setLayoutDirection(_direction(strings))
        layout = QVBoxLayout(self)
        self.problem = QLabel()  # a profile file that cannot be read or written, named
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        layout.addWidget(self.problem)
        self.tabs = QTabWidget()
        self.lists: dict[str, QListWidget] = {}
        for section in SECTIONS:
            self.lists[section] = QListWidget()
            self.lists[section].setObjectName(section)
            self.tabs.addTab(self.lists[section], strings(f"learned_{section}"))
        layout.addWidget(self.tabs)
        self.remove_button = QPushButton(strings("learned_remove"))
        self.remove_button.clicked.connect(self.remove_current)
        self.forget_all_button = QPushButton(strings("learned_forget_all"))
        self.forget_all_button.setObjectName("forget_all")
        self.forget_all_button.clicked.connect(self.forget_everything)
        row = QHBoxLayout()
        row.addWidget(self.remove_button)
        row.addWidget(self.forget_all_button)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 440)
        self.reload()

    def reload(self) -> None:
        self.show_problem(None)
        try:
            items = learned_items(self.profile, self.strings)
        except NahawiError as error:  # a damaged profile file is named; the dialog stays usable
            items = {section: [] for section in SECTIONS}
            self.show_problem(self.strings("profile_failed", error=error))
        for section, widget in self.lists.items():
            widget.clear()
            for key, line in items[section]:
                item = QListWidgetItem(line)
                item.setData(Qt.ItemDataRole.UserRole, key)
                widget.addItem(item)
            if not items[section]:
                empty = QListWidgetItem(self.strings("learned_empty"))
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
                widget.addItem(empty)

    def remove_current(self) -> None:
        section = SECTIONS[self.tabs.currentIndex()]
        item = self.lists[section].currentItem()
        if item is None or item.data(Qt.ItemDataRole.UserRole) is None:
            return
        try:
            forget(self.profile, section, tuple(item.data(Qt.ItemDataRole.UserRole)))
        except NahawiError as error:  # the profile stays as it was; the message says why
            self.show_problem(self.strings("profile_failed", error=error))
            return
        self.reload()
        self.changed.emit()

    def forget_everything(self) -> None:
        """After the writer confirms: `Profile.reset` (all that was learned and the decisions log; the
        dictionary stays)."""
        s = self.strings
        box = QMessageBox(QMessageBox.Icon.Warning, s("learned_forget_all_title"), s("learned_forget_all_text"),
                          parent=self)
        box.setObjectName("forget_all_confirm")
        box.setLayoutDirection(_direction(s))
        forget_all = box.addButton(s("learned_forget_all_confirm"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(s("prompt_cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.exec()
        if box.clickedButton() is not forget_all:
            return
        try:
            self.profile.reset()
        except NahawiError as error:
            self.show_problem(s("profile_failed", error=error))
            return
        self.reload()
        self.changed.emit()

    def show_problem(self, text: str | None) -> None:
        self.problem.setText(text or "")
        self.problem.setVisible(bool(text))

    def set_learning(self, learning: bool) -> None:
        """While a learning runs nothing can be forgotten: it writes the profile as it read it at its start, so
        an item forgotten meanwhile would come back."""
        for button in (self.remove_button, self.forget_all_button):
            button.setEnabled(not learning)
            button.setToolTip(self.strings("learned_wait") if learning else "")


class LearnDialog(QDialog):
    """The learning's progress; Cancel stops it (nothing is written), Close once it is done. Shown without
    blocking the window (the writer goes on writing, and checks go on); closed while it runs, the learning
    goes on, its percentage in the status bar."""

    cancel_requested = Signal()

    def __init__(self, strings: Strings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("learn")
        self.strings = strings
        self.setWindowTitle(strings("learn_title"))
        self.setLayoutDirection(_direction(strings))
        layout = QVBoxLayout(self)
        self.label = QLabel(strings("learn_running"))
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self._cancel)
        for widget in (self.label, self.bar, self.buttons):
            layout.addWidget(widget)
        self.running = True

    def set_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def done_with(self, message: str) -> None:
        self.running = False
        self.label.setText(message)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    def _cancel(self) -> None:
        if self.running:
            self.cancel_requested.emit()
            self.label.setText(self.strings("learn_cancelling"))
        else:
            self.reject()
