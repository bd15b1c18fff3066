"""The interface language applied to the whole application, beyond the editor's own strings.

Owns what Qt itself writes: the standard buttons of dialogs and prompts, the text's context menu and the file
dialogs come from Qt's own Arabic translation (qtbase_ar, shipped with PySide6) in the Arabic interface, and
every window, dialog and menu is laid out right to left (dialogs are windows: they take the application's
direction, not their parent's); every widget's font falls back to the shipped Arabic font; file dialogs get the
captions that translation leaves in English (`file_dialog`). Knows nothing of the editor's windows.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from nahawi_app.strings import Strings

_translator: QTranslator | None = None  # Qt's Arabic strings while the interface is Arabic


def use_fallback_font(families: list[str]) -> None:
    """Let every widget's text (menus, dialogs, the issue panel, the card) fall back to families for the
    letters its own font lacks: on a system without an Arabic font, the shipped one."""
    font = QGuiApplication.font()
    wanted = [*font.families()] + [family for family in families if family not in font.families()]
    if wanted != font.families():
        font.setFamilies(wanted)
        QGuiApplication.setFont(font)


def use_interface_language(arabic: bool) -> None:
    """Lay every window out in the interface's direction and let Qt's own strings follow its language."""
    global _translator
    QGuiApplication.setLayoutDirection(Qt.LayoutDirection.RightToLeft if arabic else Qt.LayoutDirection.LeftToRight)
    app = QCoreApplication.instance()
    if _translator is not None:
        app.removeTranslator(_translator)
        _translator = None
    if arabic:
        translator = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(QLocale(QLocale.Language.Arabic), "qtbase", "_", folder):
            app.installTranslator(translator)
            _translator = translator


def file_dialog(parent: QWidget, strings: Strings, title: str, directory: str = "", filters: str = "") -> QFileDialog:
    """A file dialog in the interface's language (the platform's own where it has one, which speaks the
    system's; else Qt's): Qt's Arabic translation leaves "Look in:" and "Files of type:" in English. directory
    may name a file, which is then selected."""
    dialog = QFileDialog(parent, title, directory, filters)
    dialog.setLabelText(QFileDialog.DialogLabel.LookIn, strings("dialog_look_in"))
    dialog.setLabelText(QFileDialog.DialogLabel.FileType, strings("dialog_file_type"))
    return dialog
