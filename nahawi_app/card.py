"""The issue card: a small floating frame that explains one issue and offers what to do with it.

Owns presentation of a single issue: the suggestion (original → replacement), where the window found other
spellings of the word (`nahawi.alternatives`) a button per spelling (the engine's first), what it changes in
these words (`reasons.edit_reason`), the kind in the interface
language with its one-line explanation and colour, the model's confidence, and buttons for accept, ignore,
add to dictionary and disable kind, and where it opens: next to the words it is about, starting on the side
their line reads from, and always inside the screen (`card_position`). It emits requests and hides; the window
carries them out. Knows nothing of the document, the engine or settings.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from nahawi.alternatives import MAX_ALTERNATIVES
from nahawi_app.highlight import Issue, kind_color
from nahawi_app.reasons import edit_reason
from nahawi_app.strings import Strings

HIDE_DELAY_MS = 400  # grace period for the mouse to travel from the underline onto the card
GAP = 4  # pixels between the words and the card
MAX_WIDTH = 520
MAX_CHOICES = 1 + MAX_ALTERNATIVES  # the engine's spelling and the others the lexicon knows


def card_position(anchor: QRect, size: QSize, screen: QRect, right_to_left: bool) -> QPoint:
    """Top-left corner for a card of size about the words in anchor (global rectangles): below them, or above
    when there is no room below; its right edge at theirs in right-to-left text, its left edge at theirs in
    left-to-right text; then moved inside screen."""
    x = anchor.right() + 1 - size.width() if right_to_left else anchor.left()
    y = anchor.bottom() + 1 + GAP
    if y + size.height() > screen.bottom() + 1 and anchor.top() - GAP - size.height() >= screen.top():
        y = anchor.top() - GAP - size.height()
    x = max(screen.left(), min(x, screen.right() + 1 - size.width()))
    y = max(screen.top(), min(y, screen.bottom() + 1 - size.height()))
    return QPoint(x, y)


class IssueCard(QFrame):
    accept_requested = Signal(object)  # Issue
    spelling_requested = Signal(object, str)  # Issue, another spelling to put in its place
    ignore_requested = Signal(object)
    dictionary_requested = Signal(object)
    ignore_word_requested = Signal(object)  # Issue: hide every issue on its word in this document
    disable_kind_requested = Signal(str)
    disabled_on = Signal(object)  # the issue whose card disabled its kind (emitted just before)

    def __init__(self, strings: Strings, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("issueCard")
        self.issue: Issue | None = None
        self.suggestion, self.kind_label, self.explanation, self.confidence = (QLabel() for _ in range(4))
        self.reason = QLabel()  # what this edit changes in these very words
        self.reason.setWordWrap(True)
        self.suggestion.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setWordWrap(True)
        self.accept_button, self.ignore_button = QPushButton(), QPushButton()
        self.dictionary_button, self.disable_button = QPushButton(), QPushButton()
        self.ignore_word_button = QPushButton()
        self.choice_buttons = [QPushButton() for _ in range(MAX_CHOICES)]  # shown when there are other spellings
        self.spellings: tuple[str, ...] = ()  # the engine's replacement, then the others, as on the buttons
        self._layout()
        for index, button in enumerate(self.choice_buttons):
            button.clicked.connect(lambda checked=False, k=index: self._choose(k))
        self.accept_button.clicked.connect(lambda: self._request(self.accept_requested))
        self.ignore_button.clicked.connect(lambda: self._request(self.ignore_requested))
        self.dictionary_button.clicked.connect(lambda: self._request(self.dictionary_requested))
        self.ignore_word_button.clicked.connect(lambda: self._request(self.ignore_word_requested))
        self.disable_button.clicked.connect(self._disable_kind)
        self.hide_timer = QTimer(self, singleShot=True, interval=HIDE_DELAY_MS)
        self.hide_timer.timeout.connect(self._hide_unless_hovered)
        self.retranslate(strings)

    def _layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        font = self.suggestion.font()
        font.setPointSize(font.pointSize() + 4)
        self.suggestion.setFont(font)
        layout.addWidget(self.suggestion)
        choices = QHBoxLayout()
        for button in self.choice_buttons:
            button.setFont(font)
            choices.addWidget(button)
        choices.addStretch(1)
        layout.addLayout(choices)
        for label in (self.reason, self.kind_label, self.explanation, self.confidence):
            layout.addWidget(label)
        buttons = QHBoxLayout()
        for button in (self.accept_button, self.ignore_button, self.ignore_word_button, self.dictionary_button,
                       self.disable_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.setMaximumWidth(MAX_WIDTH)

    def retranslate(self, strings: Strings) -> None:
        self.strings = strings
        self.setLayoutDirection(Qt.LayoutDirection.RightToLeft if strings.arabic else Qt.LayoutDirection.LeftToRight)
        self.accept_button.setText(strings("card_accept"))
        self.ignore_button.setText(strings("card_ignore"))
        self.ignore_word_button.setText(strings("card_ignore_all"))
        self.dictionary_button.setText(strings("card_dictionary"))
        self.disable_button.setText(strings("card_disable_kind"))
        if self.issue is not None:
            self._fill(self.issue)

    def show_issue(self, issue: Issue, anchor: QRect, right_to_left: bool = True, others: tuple[str, ...] = ()) -> None:
        """Show issue next to anchor, the global rectangle of its words (see `card_position`); others are
        spellings besides its replacement (best first), each offered as a button after the engine's."""
        self.issue = issue
        self.spellings = (issue.edit.replacement, *others[:MAX_CHOICES - 1]) if others else ()
        self._fill(issue)
        screen = QGuiApplication.screenAt(anchor.center()) or self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        self.setMaximumWidth(min(MAX_WIDTH, available.width()))
        self.adjustSize()
        self.move(card_position(anchor, self.frameGeometry().size(), available, right_to_left))
        self.hide_timer.stop()
        self.show()
        self.raise_()

    def add_choices(self, menu: QMenu, issue: Issue, others: tuple[str, ...] = ()) -> None:
        """The card's choices for issue at the top of menu (a right-click on its underline): its suggestion
        (choosing it accepts it), the other spellings (choosing one puts it in place), ignore, add to the
        dictionary; they emit the card's own requests."""
        s, first = self.strings, (menu.actions() or [None])[0]
        choices = [(suggestion_text(s, issue.edit.original, issue.edit.replacement),
                    lambda: self.accept_requested.emit(issue))]
        choices += [(spelling, lambda spelling=spelling: self.spelling_requested.emit(issue, spelling))
                    for spelling in others[:MAX_CHOICES - 1]]
        choices.append((s("card_ignore"), lambda: self.ignore_requested.emit(issue)))
        if _is_word(issue.edit.original):
            choices += [(s("card_ignore_all"), lambda: self.ignore_word_requested.emit(issue)),
                        (s("card_dictionary"), lambda: self.dictionary_requested.emit(issue))]
        for caption, request in choices:
            action = QAction(caption.replace("&", "&&"), menu)
            action.triggered.connect(lambda checked=False, request=request: request())
            menu.insertAction(first, action)
        menu.insertSeparator(first)

    def _fill(self, issue: Issue) -> None:
        s, edit, color = self.strings, issue.edit, kind_color(issue.kind).name()
        self.suggestion.setText(_suggestion_html(s, edit.original, edit.replacement))
        self.kind_label.setText(f'<span style="color:{color}">●</span> <b>{s.kind_name(edit.kind)}</b>')
        self.explanation.setText(s.kind_explanation(edit.kind))
        reason = edit_reason(s, edit)
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason))
        self.confidence.setVisible(edit.confidence is not None)
        if edit.confidence is not None:
            self.confidence.setText(s("card_confidence", percent=round(100 * edit.confidence)))
        self.dictionary_button.setEnabled(_is_word(edit.original))
        self.ignore_word_button.setEnabled(_is_word(edit.original))
        for index, button in enumerate(self.choice_buttons):
            spelling = self.spellings[index] if index < len(self.spellings) else ""
            button.setText(spelling.replace("&", "&&"))
            button.setToolTip(s("card_use", spelling=spelling))
            button.setVisible(bool(spelling))

    def _choose(self, index: int) -> None:
        """The writer clicked the spelling at index: the engine's is accepting the issue, another replaces it."""
        issue, spellings = self.issue, self.spellings
        self.hide()
        if issue is None or index >= len(spellings):
            return
        if index == 0:
            self.accept_requested.emit(issue)
        else:
            self.spelling_requested.emit(issue, spellings[index])

    def _request(self, signal) -> None:
        issue = self.issue
        self.hide()
        if issue is not None:
            signal.emit(issue)

    def _disable_kind(self) -> None:
        issue = self.issue
        self.hide()
        if issue is not None:
            self.disabled_on.emit(issue)
            self.disable_kind_requested.emit(issue.kind)

    def schedule_hide(self) -> None:
        if self.isVisible():
            self.hide_timer.start()

    def _hide_unless_hovered(self) -> None:
        if not self.underMouse():
            self.hide()

    def enterEvent(self, event) -> None:
        self.hide_timer.stop()
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:
        self.schedule_hide()
        super().leaveEvent(event)

    def hideEvent(self, event) -> None:
        self.issue, self.spellings = None, ()
        super().hideEvent(event)


def _is_word(original: str) -> bool:
    """Whether original (stripped) is one word, which the dictionary can hold."""
    word = original.strip()
    return bool(word) and not any(ch.isspace() for ch in word)


def suggestion_text(strings: Strings, original: str, replacement: str) -> str:
    """What a menu offers for an edit: the fix itself, or what deleting or inserting does."""
    if not replacement.strip() and original:
        return strings("card_delete", original=original.strip())
    if not original.strip():
        return strings("card_insert", replacement=replacement.strip())
    return replacement


def _suggestion_html(strings: Strings, original: str, replacement: str) -> str:
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not replacement.strip() and original:
        return esc(strings("card_delete", original=original.strip()))
    if not original.strip():
        return esc(strings("card_insert", replacement=replacement.strip()))
    return f'<s style="color:#888">{esc(original)}</s>{strings.arrow}<b>{esc(replacement)}</b>'
