"""Help: the keyboard shortcut list and the About box, in the interface language and direction.

Owns how help is shown. The shortcut list is read from the window's own actions (`actions.WindowActions`),
so it always says what the keys really do. Knows nothing of the document or the engine.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nahawi_app.actions import WindowActions
from nahawi_app.strings import LEFT_TO_RIGHT_ISOLATE, POP_ISOLATE, Strings


def shortcut_rows(built: WindowActions) -> list[tuple[str, str]]:
    """(caption without its accelerator mark, shortcut as the platform writes it) for every action with keys."""
    rows = []
    for action in built.actions.values():
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append((action.text().replace("&", ""), keys))
    return rows


def shortcuts_dialog(built: WindowActions, strings: Strings, parent: QWidget) -> QDialog:
    dialog = QDialog(parent)
    dialog.setObjectName("shortcuts")
    dialog.setWindowTitle(strings("shortcuts_title"))
    dialog.setLayoutDirection(Qt.LayoutDirection.RightToLeft if strings.arabic else Qt.LayoutDirection.LeftToRight)
    rows = shortcut_rows(built)
    table = QTableWidget(len(rows), 2, dialog)
    table.setHorizontalHeaderLabels([strings("shortcut_action"), strings("shortcut_keys")])
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for row, (caption, keys) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(caption))
        # Key names read left to right, in a right-to-left list too: isolated, "Ctrl+," is not drawn ",+Ctrl".
        keys_item = QTableWidgetItem(f"{LEFT_TO_RIGHT_ISOLATE}{keys}{POP_ISOLATE}")
        keys_item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute
                                   | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, 1, keys_item)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    close = QPushButton(strings("shortcuts_close"))  # the window manager's close button is not always there
    close.clicked.connect(dialog.accept)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(close, alignment=Qt.AlignmentFlag.AlignLeading)
    dialog.resize(480, 520)
    return dialog


def about_box(strings: Strings, model_name: str | None, parent: QWidget) -> QMessageBox:
    from nahawi import __version__

    box = QMessageBox(QMessageBox.Icon.Information, strings("act_about"),
                      strings("about_text", version=__version__, model=model_name or strings("status_no_model")),
                      parent=parent)
    box.setLayoutDirection(Qt.LayoutDirection.RightToLeft if strings.arabic else Qt.LayoutDirection.LeftToRight)
    return box
