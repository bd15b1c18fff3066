"""The editor's settings: one frozen dataclass, its persistence in QSettings, and the settings dialog.

Owns what the user can change and where it is kept. `SettingsStore` wraps one QSettings (the platform's
default scope, or an INI file that tests and `--settings` pass), reading with defaults for missing or
malformed values so an old or hand-edited file never stops the editor. The dictionary is not in QSettings:
it is the personal profile's (`nahawi.profile`), shared with the language server and the CLI — the user's
profile for the default scope (or `NAHAWI_PROFILE`), a `<name>-profile` folder beside an INI file; words an
earlier release kept in QSettings are moved into it once. Knows nothing of the engine or the main window.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nahawi.kinds import KIND_IDS
from nahawi.profile.store import Profile, ProfileError
from nahawi_app.interface import file_dialog
from nahawi_app.strings import LANGUAGES, Strings

log = logging.getLogger("nahawi.app")

ORGANIZATION, APPLICATION = "Nahawi", "nahawi-app"
MAX_RECENT = 10


@dataclass(frozen=True)
class AppSettings:
    enabled_kinds: tuple[str, ...] = KIND_IDS  # kinds underlined; edits of other kinds are hidden
    check_while_typing: bool = True  # False: check only on "Check now" (F7) and when the model has loaded
    delay_ms: int = 150  # quiet time after the last keystroke before a check is sent
    min_confidence: float = 0.0  # edits the engine scores below this are not shown
    model_dir: str = ""  # "" = the bundled default model
    strict: bool = False  # the model's strict policy: fewer false alarms, fewer corrections
    learner: bool = False  # the model's learner policy (a writer learning Arabic): the seq2seq's corrections too
    latin_marks: bool = False  # the writer's marks are Latin (, ? ;): kept, and the marks added written so
    language: str = "ar"  # interface language: ar | en
    zoom: int = 0  # editor font size offset in points
    recent_files: tuple[str, ...] = ()  # most recent first
    dictionary: tuple[str, ...] = ()  # words never flagged


class SettingsStore:
    """AppSettings in a QSettings: `SettingsStore(path)` uses an INI file, `SettingsStore()` the user scope."""

    def __init__(self, path: str | Path | None = None, profile: Profile | None = None):
        self.user_scope = path is None
        if path is None:
            self.qsettings = QSettings(ORGANIZATION, APPLICATION)
        else:
            self.qsettings = QSettings(str(path), QSettings.Format.IniFormat)
        if profile is None and (path is None or os.environ.get("NAHAWI_PROFILE")):
            profile = Profile()
        self.profile = profile or Profile(Path(path).with_name(f"{Path(path).stem}-profile"))
        self.words: tuple[str, ...] = ()  # the dictionary as last read or written here

    def load(self) -> AppSettings:
        q, default = self.qsettings, AppSettings()
        kinds = tuple(k for k in _strings(q.value("check/enabled_kinds"), default.enabled_kinds) if k in KIND_IDS)
        language = str(q.value("ui/language", default.language))
        return AppSettings(
            enabled_kinds=kinds,
            check_while_typing=_bool(q.value("check/while_typing"), default.check_while_typing),
            delay_ms=_clamp(_int(q.value("check/delay_ms"), default.delay_ms), 0, 5000),
            min_confidence=min(1.0, max(0.0, _float(q.value("check/min_confidence"), default.min_confidence))),
            model_dir=str(q.value("model/dir", default.model_dir) or ""),
            strict=_bool(q.value("model/strict"), default.strict),
            learner=_bool(q.value("model/learner"), default.learner) and not _bool(q.value("model/strict"), False),
            latin_marks=_bool(q.value("model/latin_marks"), default.latin_marks),
            language=language if language in LANGUAGES else default.language,
            zoom=_clamp(_int(q.value("editor/zoom"), default.zoom), -8, 40),
            recent_files=_strings(q.value("files/recent"), ())[:MAX_RECENT],
            dictionary=self._load_dictionary(),
        )

    def _load_dictionary(self) -> tuple[str, ...]:
        legacy = _strings(self.qsettings.value("dictionary/words"), ())
        try:
            if legacy:  # kept in QSettings before the profile: moved into it once
                self.profile.update_dictionary(add=legacy)
                self.qsettings.remove("dictionary/words")
                self.qsettings.sync()
            self.words = self.profile.dictionary().words
        except ProfileError as error:
            log.warning("the dictionary cannot be read: %s", error)
            self.words = legacy
        return self.words

    def save(self, settings: AppSettings) -> None:
        q = self.qsettings
        # Lists are stored as one newline-joined string: QSettings' INI lists of one item read back as str.
        q.setValue("check/enabled_kinds", "\n".join(settings.enabled_kinds))
        q.setValue("check/while_typing", settings.check_while_typing)
        q.setValue("check/delay_ms", settings.delay_ms)
        q.setValue("check/min_confidence", settings.min_confidence)
        q.setValue("model/dir", settings.model_dir)
        q.setValue("model/strict", settings.strict)
        q.setValue("model/learner", settings.learner)
        q.setValue("model/latin_marks", settings.latin_marks)
        q.setValue("ui/language", settings.language)
        q.setValue("editor/zoom", settings.zoom)
        q.setValue("files/recent", "\n".join(settings.recent_files))
        q.sync()
        self._save_dictionary(settings.dictionary)
        self._make_private()

    def _save_dictionary(self, words: tuple[str, ...]) -> None:
        """The changes made here since the last read, applied to the profile's dictionary as it is now
        (the language server may have added words meanwhile)."""
        added = [w for w in words if w not in self.words]
        removed = [w for w in self.words if w not in words]
        if not added and not removed:
            return
        try:
            self.words = self.profile.update_dictionary(add=added, remove=removed)
        except ProfileError as error:
            log.warning("the dictionary cannot be written: %s", error)

    def _make_private(self) -> None:
        """The file holds the personal dictionary and recent file names: 0600, and in the user scope its
        folder (the organisation's own) 0700. The Windows registry has no such file."""
        path = Path(self.qsettings.fileName())
        if not path.is_file():
            return
        path.chmod(0o600)
        if self.user_scope:
            path.parent.chmod(0o700)


def with_recent(settings: AppSettings, path: str) -> AppSettings:
    recent = (path, *(p for p in settings.recent_files if p != path))[:MAX_RECENT]
    return dataclasses.replace(settings, recent_files=recent)


def _strings(value, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if str(v))
    return tuple(line for line in str(value).split("\n") if line)


def _bool(value, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    return str(value).strip().lower() in ("true", "1", "yes")


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _clamp(value: int, low: int, high: int) -> int:
    return min(high, max(low, value))


@dataclass
class _Fields:
    kinds: dict[str, QCheckBox] = field(default_factory=dict)
    while_typing: QCheckBox | None = None
    delay: QSpinBox | None = None
    confidence: QDoubleSpinBox | None = None
    model_dir: QLineEdit | None = None
    strict: QCheckBox | None = None
    learner: QCheckBox | None = None
    latin_marks: QCheckBox | None = None
    language: QComboBox | None = None
    dictionary: QPlainTextEdit | None = None


class SettingsDialog(QDialog):
    """Edits an AppSettings; `result_settings()` gives the edited copy after `exec()` returns Accepted."""

    def __init__(self, settings: AppSettings, strings: Strings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings, self.strings, self.fields = settings, strings, _Fields()
        self.setWindowTitle(strings("settings_title"))
        layout = QVBoxLayout(self)
        layout.addWidget(self._kinds_box())
        layout.addLayout(self._form())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _kinds_box(self) -> QGroupBox:
        box = QGroupBox(self.strings("set_kinds"))
        grid = QGridLayout(box)
        for index, kind in enumerate(KIND_IDS):
            check = QCheckBox(self.strings.kind_name(kind))
            check.setToolTip(self.strings.kind_explanation(kind))
            check.setChecked(kind in self.settings.enabled_kinds)
            self.fields.kinds[kind] = check
            grid.addWidget(check, index // 3, index % 3)
        return box

    def _form(self) -> QFormLayout:
        s, f, form = self.strings, self.fields, QFormLayout()
        f.while_typing = QCheckBox(s("set_while_typing"))
        f.while_typing.setChecked(self.settings.check_while_typing)
        form.addRow(f.while_typing)
        f.delay = QSpinBox()
        f.delay.setRange(0, 5000)
        f.delay.setSingleStep(50)
        f.delay.setValue(self.settings.delay_ms)
        form.addRow(s("set_delay"), f.delay)
        f.confidence = QDoubleSpinBox()
        f.confidence.setRange(0.0, 1.0)
        f.confidence.setSingleStep(0.05)
        f.confidence.setValue(self.settings.min_confidence)
        form.addRow(s("set_confidence"), f.confidence)
        form.addRow(s("set_model"), self._model_row())
        f.strict = QCheckBox(s("set_strict"))
        f.strict.setChecked(self.settings.strict)
        form.addRow(f.strict)
        f.learner = QCheckBox(s("set_learner"))
        f.learner.setChecked(self.settings.learner and not self.settings.strict)
        form.addRow(f.learner)
        # two policies, one at a time: choosing one clears the other
        f.strict.toggled.connect(lambda on: on and f.learner.setChecked(False))
        f.learner.toggled.connect(lambda on: on and f.strict.setChecked(False))
        f.latin_marks = QCheckBox(s("set_latin_marks"))
        f.latin_marks.setChecked(self.settings.latin_marks)
        form.addRow(f.latin_marks)
        f.language = QComboBox()
        for language in LANGUAGES:
            f.language.addItem(s(f"lang_{language}"), language)
        f.language.setCurrentIndex(LANGUAGES.index(self.settings.language))
        form.addRow(s("set_language"), f.language)
        f.dictionary = QPlainTextEdit("\n".join(self.settings.dictionary))
        f.dictionary.setFixedHeight(90)
        form.addRow(s("set_dictionary"), f.dictionary)
        return form

    def _model_row(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.fields.model_dir = QLineEdit(self.settings.model_dir)
        browse = QPushButton(self.strings("set_browse"))
        browse.clicked.connect(self._browse)
        layout.addWidget(self.fields.model_dir)
        layout.addWidget(browse)
        return row

    def _browse(self) -> None:
        dialog = file_dialog(self, self.strings, self.strings("set_model"), self.fields.model_dir.text())
        dialog.setObjectName("model_folder")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        chosen = dialog.selectedFiles() if dialog.exec() == QDialog.DialogCode.Accepted else []
        dialog.deleteLater()
        if chosen:
            self.fields.model_dir.setText(chosen[0])

    def result_settings(self) -> AppSettings:
        f = self.fields
        words = tuple(w.strip() for w in f.dictionary.toPlainText().split("\n") if w.strip())
        return dataclasses.replace(
            self.settings,
            enabled_kinds=tuple(k for k in KIND_IDS if f.kinds[k].isChecked()),
            check_while_typing=f.while_typing.isChecked(),
            delay_ms=f.delay.value(),
            min_confidence=round(f.confidence.value(), 4),
            model_dir=f.model_dir.text().strip(),
            strict=f.strict.isChecked(),
            learner=f.learner.isChecked(),
            latin_marks=f.latin_marks.isChecked(),
            language=f.language.currentData(),
            dictionary=words,
        )
