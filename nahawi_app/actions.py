"""The window's actions and menus, built from one table outside the window constructor.

Owns shortcuts, menu order and action captions (retranslated when the interface language changes). Each
action calls a method of the window by name, so the table is the single place to read what a key does.
Knows nothing of what the methods do.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from nahawi_app.strings import Strings

KEY = QKeySequence.StandardKey
SEPARATOR = None

# (menu, action name, caption key, shortcut, window method); SEPARATOR rows draw a line.
TABLE: tuple = (
    ("file", "new", "act_new", KEY.New, "new_document"),
    ("file", "open", "act_open", KEY.Open, "open_dialog"),
    ("file", "recent", None, None, None),
    ("file", "save", "act_save", KEY.Save, "save"),
    ("file", "save_as", "act_save_as", KEY.SaveAs, "save_as"),
    ("file", SEPARATOR),
    ("file", "quit", "act_quit", KEY.Quit, "close"),
    ("edit", "undo", "act_undo", KEY.Undo, "undo"),
    ("edit", "redo", "act_redo", KEY.Redo, "redo"),
    ("edit", SEPARATOR),
    ("edit", "find", "act_find", KEY.Find, "show_find"),
    ("edit", SEPARATOR),
    ("edit", "settings", "act_settings", "Ctrl+,", "open_settings"),
    ("check", "check_now", "act_check_now", "F7", "check_now"),
    ("check", "next_issue", "act_next_issue", "F8", "next_issue"),
    ("check", "prev_issue", "act_prev_issue", "Shift+F8", "previous_issue"),
    ("check", SEPARATOR),
    ("check", "accept_current", "act_accept_current", "Alt+Return", "accept_current"),
    ("check", "accept_all", "act_accept_all", "Ctrl+Shift+Return", "accept_all"),
    ("check", SEPARATOR),
    ("check", "learn", "act_learn", None, "learn_from_writing"),
    ("check", "learned", "act_learned", None, "show_learned"),
    ("check", "record_decisions", "act_record_decisions", None, "toggle_recording"),
    ("view", "zoom_in", "act_zoom_in", KEY.ZoomIn, "zoom_in"),
    ("view", "zoom_out", "act_zoom_out", KEY.ZoomOut, "zoom_out"),
    ("view", "zoom_reset", "act_zoom_reset", "Ctrl+0", "zoom_reset"),
    ("view", SEPARATOR),
    ("view", "panel", "act_panel", "Ctrl+Shift+I", None),  # the dock's own toggle action
    ("help", "shortcuts", "act_shortcuts", "F1", "show_shortcuts"),
    ("help", "about", "act_about", None, "show_about"),
)
CHECKABLE = frozenset({"record_decisions"})  # actions that show a check mark (their method reads it)
MENUS = (("file", "menu_file"), ("edit", "menu_edit"), ("check", "menu_check"), ("view", "menu_view"),
         ("help", "menu_help"))


@dataclass
class WindowActions:
    actions: dict[str, QAction] = field(default_factory=dict)
    menus: dict[str, QMenu] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)  # action name → caption key

    def __getitem__(self, name: str) -> QAction:
        return self.actions[name]


def build_actions(window: QMainWindow, panel_toggle: QAction) -> WindowActions:
    """Create the menus and actions of window; `panel_toggle` is the issue dock's toggleViewAction."""
    built = WindowActions()
    for menu_name, _ in MENUS:
        built.menus[menu_name] = window.menuBar().addMenu("")
    built.menus["recent"] = QMenu(window)
    for row in TABLE:
        menu = built.menus[row[0]]
        if row[1] is SEPARATOR:
            menu.addSeparator()
            continue
        _, name, caption, shortcut, method = row
        if name == "recent":
            menu.addMenu(built.menus["recent"])
            continue
        action = panel_toggle if name == "panel" else QAction(window)
        action.setCheckable(name in CHECKABLE or action.isCheckable())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if method is not None:
            action.triggered.connect(_caller(window, method))
        menu.addAction(action)
        window.addAction(action)  # shortcuts work while the menu bar is hidden or the card has focus
        built.actions[name], built.captions[name] = action, caption
    return built


def _caller(window: QMainWindow, method: str) -> Callable[[], None]:
    return lambda checked=False: getattr(window, method)()


def retranslate_actions(built: WindowActions, strings: Strings) -> None:
    for menu_name, caption in MENUS:
        built.menus[menu_name].setTitle(strings(caption))
    built.menus["recent"].setTitle(strings("menu_recent"))
    for name, action in built.actions.items():
        action.setText(strings(built.captions[name]))


def fill_recent(built: WindowActions, paths: tuple[str, ...], open_path: Callable[[str], None],
                strings: Strings) -> None:
    menu = built.menus["recent"]
    menu.clear()
    for index, path in enumerate(paths):
        action = menu.addAction(f"&{index + 1}  {Path(path).name}  —  {path}")
        action.triggered.connect(lambda checked=False, p=path: open_path(p))
    if not paths:
        empty = menu.addAction(strings("recent_empty"))
        empty.setEnabled(False)
    menu.setLayoutDirection(Qt.LayoutDirection.RightToLeft if strings.arabic else Qt.LayoutDirection.LeftToRight)
