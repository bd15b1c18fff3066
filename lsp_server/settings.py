"""The language server's settings: one frozen dataclass, its defaults and a forgiving parser.

Owns the `nahawi` configuration section as editors send it (camelCase JSON, from `initializationOptions`,
`workspace/configuration` or `workspace/didChangeConfiguration`). A bad value never stops the server:
the key falls back to its default and is named in the returned problems, which the server shows once.
Knows nothing of LSP messages, engines or documents.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from nahawi.kinds import KIND_IDS

SECTION = "nahawi"
SEVERITIES = ("error", "warning", "information", "hint")
CHECK_ON = ("change", "save", "manual")
DEVICES = ("auto", "cpu", "cuda")
MESSAGE_LANGUAGES = ("ar", "en")
DICTIONARY_SCOPES = ("user", "workspace")
MAX_DEBOUNCE_MS = 60_000  # a longer quiet time means edits are never re-checked while the writer types
# Punctuation is advice more than error; every other kind is a likely mistake.
DEFAULT_SEVERITY = MappingProxyType({kind: "information" if kind == "punctuation" else "warning"
                                     for kind in KIND_IDS})


@dataclass(frozen=True)
class Settings:
    languages: tuple[str, ...] = ("plaintext", "text", "markdown")  # language ids checked ("text": Neovim, Emacs)
    enabled_kinds: tuple[str, ...] = KIND_IDS  # edit kinds reported as diagnostics
    severity: Mapping[str, str] = field(default_factory=lambda: DEFAULT_SEVERITY)  # kind id -> error|warning|information|hint
    check_on: str = "change"  # change: as you type (debounced); save: on open and save; manual: command only
    max_file_size: int = 1_000_000  # documents larger than this many UTF-8 bytes are skipped
    dictionary_paths: tuple[str, ...] = ()  # extra read-only word lists (one word a line)
    dictionary_scope: str = "user"  # where "add to dictionary" writes: user | workspace
    min_confidence: float | None = None  # hide edits whose confidence is below this (0..1)
    model_dir: str | None = None  # model directory; None: the default model shipped with nahawi
    device: str = "auto"  # auto | cpu | cuda
    strict: bool = False  # the model's strict policy: fewer false alarms, fewer corrections
    learner: bool = False  # the model's learner policy (a writer learning Arabic): the seq2seq's corrections too
    latin_marks: bool = False  # the writer's marks are Latin (, ? ;): kept, and the marks added written so
    message_language: str = "ar"  # ar | en
    debounce_ms: int = 300  # quiet time after the last keystroke before a check starts (0..MAX_DEBOUNCE_MS)
    kinds_documentation: str | None = None  # page each diagnostic links to (#kind); None: the checkout's docs/kinds.md


class _Invalid(Exception):
    """A setting's value is not acceptable (the key falls back to its default)."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


KEYS: dict[str, str] = {_camel(f.name): f.name for f in fields(Settings)}  # camelCase key -> field name
# Keys of the same section that belong to editor clients (the VS Code extension, vscode-languageclient).
CLIENT_KEYS = frozenset({"serverPath", "serverArgs", "trace"})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(options: tuple[str, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> str:
        if value not in options:
            raise _Invalid
        return value
    return check


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise _Invalid
    return tuple(value)


def _languages(value: Any) -> tuple[str, ...]:
    """At least one language id: an empty list would silently check nothing."""
    languages = _strings(value)
    if not languages:
        raise _Invalid
    return languages


def _debounce(value: Any) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_DEBOUNCE_MS:
        raise _Invalid
    return value


def _kinds(value: Any) -> tuple[str, ...]:
    kinds = _strings(value)
    if any(kind not in KIND_IDS for kind in kinds):
        raise _Invalid
    return tuple(dict.fromkeys(kinds))


def _positive_int(value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _Invalid
    return value


def _confidence(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise _Invalid
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid
    return value


def _url(value: Any) -> str | None:
    """None, or an http(s) or file URL with no fragment (the kind's id is added as one)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "#" in value or urlsplit(value).scheme not in ("http", "https", "file") \
            or not urlsplit(value).path:
        raise _Invalid
    return value


def _optional_path(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Invalid
    return value


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "languages": _languages,
    "enabled_kinds": _kinds,
    "check_on": _choice(CHECK_ON),
    "max_file_size": _positive_int,
    "dictionary_paths": _strings,
    "dictionary_scope": _choice(DICTIONARY_SCOPES),
    "min_confidence": _confidence,
    "model_dir": _optional_path,
    "device": _choice(DEVICES),
    "strict": _bool,
    "learner": _bool,
    "latin_marks": _bool,
    "message_language": _choice(MESSAGE_LANGUAGES),
    "debounce_ms": _debounce,
    "kinds_documentation": _url,
}


def _severity(value: Any, problems: list[str]) -> Mapping[str, str]:
    """Per-kind severities over the defaults; each bad entry is named and keeps its default."""
    if not isinstance(value, Mapping):
        problems.append(f"{SECTION}.severity")
        return DEFAULT_SEVERITY
    merged = dict(DEFAULT_SEVERITY)
    for kind, level in value.items():
        if kind in KIND_IDS and level in SEVERITIES:
            merged[kind] = level
        else:
            problems.append(f"{SECTION}.severity.{kind}")
    return MappingProxyType(merged)


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from a `nahawi` section (camelCase keys), and the dotted names of keys that were unknown
    or invalid and fell back to their defaults. None or {} gives the defaults."""
    if raw is None:
        return Settings(), []
    if not isinstance(raw, Mapping):
        return Settings(), [SECTION]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        name = KEYS.get(key)
        if key in CLIENT_KEYS:
            continue
        if name is None:
            problems.append(f"{SECTION}.{key}")
        elif name == "severity":
            values[name] = _severity(value, problems)
        else:
            try:
                values[name] = _PARSERS[name](value)
            except _Invalid:
                problems.append(f"{SECTION}.{key}")
    return Settings(**values), problems


def settings_section(payload: Any) -> Any:
    """The `nahawi` section of a settings payload that may hold it under "nahawi" or be the section
    itself (initializationOptions and didChangeConfiguration come both ways)."""
    if isinstance(payload, Mapping) and isinstance(payload.get(SECTION), Mapping):
        return payload[SECTION]
    return payload


def merge_sections(*sections: Any) -> dict[str, Any]:
    """Later sections override earlier ones key by key; non-mappings are skipped."""
    merged: dict[str, Any] = {}
    for section in sections:
        if isinstance(section, Mapping):
            merged.update(section)
    return merged


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """settings as a camelCase JSON object (what `nahawi.stats` reports)."""
    out = {}
    for key, name in KEYS.items():
        value = getattr(settings, name)
        out[key] = dict(value) if isinstance(value, Mapping) else list(value) if isinstance(value, tuple) else value
    return out
