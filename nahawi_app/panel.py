"""Panels around the editor: the issue list with the colour legend, and the notice area above the text.

Owns two passive views. `IssuePanel` lists the current issues (click to jump), shows each kind group's
colour and count, and offers "accept all" for everything or for one kind. `NoticeArea` shows messages that
need no modal dialog (a model that failed to load, a file that is not UTF-8, work to recover), each with its
own buttons. Both emit requests; the window acts on them. Knows nothing of the engine or the document.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nahawi_app.highlight import GROUP_COLORS, GROUPS, KIND_GROUP, Issue, kind_color
from nahawi_app.strings import Strings

MAX_LISTED = 200  # items in the issue list (rebuilt on every change); a long document's others are reached with F8


class IssuePanel(QWidget):
    issue_activated = Signal(object)  # Issue
    accept_all_requested = Signal(object)  # tuple of kind ids, or None for every kind

    def __init__(self, strings: Strings, parent: QWidget | None = None):
        super().__init__(parent)
        self.issues: list[Issue] = []
        self.total, self.kinds = 0, Counter()
        self._shown: tuple | None = None  # what the list shows (see `set_issues`)
        self._counted: tuple | None = None  # what the counts show
        layout = QVBoxLayout(self)
        self.legend_title = QLabel()
        layout.addWidget(self.legend_title)
        self.legend = QGridLayout()
        layout.addLayout(self.legend)
        self.legend_labels: dict[str, QLabel] = {}
        for row, group in enumerate(GROUPS):
            swatch = QLabel("━━")
            swatch.setStyleSheet(f"color: {GROUP_COLORS[group]}; font-weight: bold")
            self.legend_labels[group] = QLabel()
            self.legend.addWidget(swatch, row, 0)
            self.legend.addWidget(self.legend_labels[group], row, 1)
        self.list = QListWidget()
        self.list.itemClicked.connect(self._on_item)
        self.list.itemActivated.connect(self._on_item)
        layout.addWidget(self.list, 1)
        self.accept_all_button = QPushButton()
        self.accept_all_button.clicked.connect(lambda: self.accept_all_requested.emit(None))
        layout.addWidget(self.accept_all_button)
        kind_row = QHBoxLayout()
        self.kind_choice = QComboBox()
        self.accept_kind_button = QPushButton()
        self.accept_kind_button.clicked.connect(self._accept_kind)
        self.kind_choice.currentIndexChanged.connect(self._update_kind_button)
        kind_row.addWidget(self.kind_choice, 1)
        kind_row.addWidget(self.accept_kind_button)
        layout.addLayout(kind_row)
        self.retranslate(strings)

    def retranslate(self, strings: Strings) -> None:
        self.strings = strings
        self.legend_title.setText(f"<b>{strings('legend')}</b>")
        self.accept_all_button.setText(strings("act_accept_all"))
        self.set_issues(self.issues, self.total, self.kinds)

    def set_issues(self, issues: list[Issue], total: int | None = None, kinds: Counter | None = None) -> None:
        """List issues (in document order; at most MAX_LISTED are shown) out of total, with the count of
        each kind (by default: those of issues). A list that would read the same (a long document's check of
        the lines on screen, far from its first issues) is kept, and so are unchanged counts: rebuilding
        them cost the GUI thread 15-30 ms a key."""
        listed = list(issues[:MAX_LISTED])
        total = len(issues) if total is None else total
        kinds = Counter(issue.kind for issue in issues) if kinds is None else kinds
        # What the list reads (positions are not shown: a key before the listed issues shifts them, not the list)
        shown = (self.strings.language, total, [(i.edit.original, i.edit.replacement, i.kind) for i in listed])
        same_list, same_counts = shown == self._shown, (self.strings.language, kinds, total) == self._counted
        self.issues, self.total, self.kinds, self._shown = listed, total, kinds, shown
        if not same_list:
            self._fill_list()
        if not same_counts:
            self._counted = (self.strings.language, kinds, total)
            self._update_counts()

    def _fill_list(self) -> None:
        s = self.strings
        self.list.clear()
        for index, issue in enumerate(self.issues):
            edit = issue.edit
            original = edit.original.strip() or "∅"
            replacement = edit.replacement.strip() or "∅"
            item = QListWidgetItem(f"{original}{s.arrow}{replacement}   · {s.kind_name(edit.kind)}")
            item.setForeground(kind_color(edit.kind))
            item.setData(Qt.ItemDataRole.UserRole, index)  # into self.issues, which a kept list updates
            self.list.addItem(item)
        if self.total > len(self.issues):
            more = QListWidgetItem(s("panel_more", count=self.total - len(self.issues)))
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(more)
        if not self.issues:
            empty = QListWidgetItem(s("panel_empty"))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            empty.setForeground(QColor("#888"))
            self.list.addItem(empty)

    def _update_counts(self) -> None:
        s = self.strings
        groups = Counter()
        for kind, count in self.kinds.items():
            groups[KIND_GROUP.get(kind, "grammar")] += count
        for group, label in self.legend_labels.items():
            name = s("kind_grammar") if group == "grammar" else s.kind_name(group)
            label.setText(f"{name} ({groups.get(group, 0)})")
        self.kind_choice.clear()
        for kind, count in sorted(self.kinds.items(), key=lambda kc: -kc[1]):
            self.kind_choice.addItem(f"{s.kind_name(kind)} ({count})", kind)
        self._update_kind_button()
        self.accept_all_button.setEnabled(self.total > 0)

    def _update_kind_button(self) -> None:
        kind = self.kind_choice.currentData()
        name = self.strings.kind_name(kind) if kind else "…"
        self.accept_kind_button.setText(self.strings("panel_accept_kind", kind=name))
        self.accept_kind_button.setEnabled(kind is not None)

    def _accept_kind(self) -> None:
        kind = self.kind_choice.currentData()
        if kind:
            self.accept_all_requested.emit((kind,))

    def _on_item(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if index is not None:
            self.issue_activated.emit(self.issues[index])


class NoticeArea(QWidget):
    """A stack of dismissible messages, one per key; showing a key again replaces its message."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.notices: dict[str, QFrame] = {}
        self.hide()

    def notify(self, key: str, text: str, actions: list[tuple[str, Callable[[], None]]],
               level: str = "warning") -> QFrame:
        self.dismiss(key)
        frame = QFrame()
        frame.setObjectName(f"notice-{key}")
        color = {"warning": "#fff4e5", "error": "#fdecea", "info": "#e8f4fd"}[level]
        frame.setStyleSheet(f"QFrame#notice-{key} {{ background: {color}; border: 1px solid #d0c0a0; }}")
        row = QHBoxLayout(frame)
        label = QLabel(text)
        label.setWordWrap(True)
        label.setObjectName("text")
        row.addWidget(label, 1)
        for caption, callback in actions:
            button = QPushButton(caption)
            button.clicked.connect(callback)
            row.addWidget(button)
        self.notices[key] = frame
        self.layout_.addWidget(frame)
        self.show()
        return frame

    def text(self, key: str) -> str | None:
        frame = self.notices.get(key)
        return frame.findChild(QLabel, "text").text() if frame else None

    def buttons(self, key: str) -> list[QPushButton]:
        frame = self.notices.get(key)
        return frame.findChildren(QPushButton) if frame else []

    def dismiss(self, key: str) -> None:
        frame = self.notices.pop(key, None)
        if frame is not None:
            frame.hide()
            frame.deleteLater()
        if not self.notices:
            self.hide()
