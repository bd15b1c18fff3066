"""The personal profile on disk: one folder per user, plain files, private.

Owns where the folder is (`--profile DIR`, else `NAHAWI_PROFILE`, else `$XDG_DATA_HOME/nahawi/profile`,
`~/.local/share/nahawi/profile`, or `%APPDATA%\\nahawi\\profile` on Windows), its files and their modes (the
folder 0700, every file 0600, written atomically: a temporary file in the folder, synced, renamed), and
reading them back safely: a file that is not UTF-8, a line that is not what its format says, a count that
is not a number are `ProfileError`s naming the file and the line, and nothing is taken from a bad file.
The formats are documented in docs/profile.md. Knows nothing of the engine; what the files mean to a
correction is `nahawi.profile.writer`, how they are learned `nahawi.profile.learn`.
"""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import InputError

log = logging.getLogger("nahawi.profile")

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
DICTIONARY, DECISIONS, OVERLAY, LEARNED = "dictionary.txt", "decisions.jsonl", "overlay.tsv", "learned.json"
ADAPTER = "adapter.npz"  # the tagger adapter (nahawi.profile.adapter)
SETTINGS = "settings.json"
SETTING_TYPES = {"record_decisions": bool}  # settings.json's keys (docs/profile.md)
SETTING_DEFAULTS = {"record_decisions": True}
LEARNED_FORMAT = "nahawi-profile-learned/1"
MAX_FILE_BYTES = 64 << 20  # a profile file larger than this is refused (a paste or a disk gone wrong)
MAX_WORD = 64  # characters: a longer dictionary "word" is a paste gone wrong
TATWEEL = "\u0640"
# Bidirectional controls (LRE..RLO, LRI..PDI, LRM, RLM, ALM): invisible, and they reorder what follows them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class ProfileError(InputError):
    """A profile file that cannot be used; the message names the file (and the line)."""


def default_profile_dir() -> Path:
    """The user's profile folder when none is given (see the module docstring)."""
    if os.environ.get("NAHAWI_PROFILE"):
        return Path(os.environ["NAHAWI_PROFILE"])
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "nahawi" / "profile"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nahawi" / "profile"


def word_problem(word: str) -> str | None:
    """Why word (as stored) cannot be a dictionary entry, or None."""
    if not word or any(ch.isspace() for ch in word):
        return "not a single word"
    if len(word) > MAX_WORD:
        return f"longer than {MAX_WORD} characters"
    if any(ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs") for ch in word):
        return "contains a control character"
    return None


def dictionary_form(word: str) -> str:
    """The form dictionary words are stored and compared in: NFC, without tatweel and surrounding spaces
    (comparison only: the user's text is never rewritten to it)."""
    return unicodedata.normalize("NFC", word).replace(TATWEEL, "").strip()


@dataclass(frozen=True)
class DictionaryFile:
    words: tuple[str, ...]  # in file order, each once
    problems: tuple[str, ...]  # "FILE:LINE: reason" for each line that is not a word (skipped)


def read_text_lines(path: Path) -> list[str]:
    """The lines of a profile file (missing: none); ProfileError for one too large or not UTF-8."""
    try:
        if not path.is_file():
            return []
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ProfileError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB; not a profile file")
        data = path.read_bytes()
    except OSError as error:
        raise ProfileError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ProfileError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[error.start]:02x})") from None
    return text.splitlines()


def parse_dictionary(path: Path) -> DictionaryFile:
    """Words of a dictionary file (one a line, `#` comments); lines that are not a word are reported."""
    words: dict[str, None] = {}
    problems = []
    for number, line in enumerate(read_text_lines(path), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word = dictionary_form(line)
        problem = word_problem(word)
        if problem is None:
            words[word] = None
        else:
            problems.append(f"{path}:{number}: {problem}")
    return DictionaryFile(tuple(words), tuple(problems))


def write_private(path: Path, text: str) -> None:
    """Replace path with text atomically (a temporary file beside it, synced, renamed), mode 0600."""
    write_private_bytes(path, text.encode("utf-8"))


def write_private_bytes(path: Path, data: bytes) -> None:
    """`write_private` for bytes."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, PRIVATE_FILE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Profile:
    """One profile folder. Nothing is created until something is written."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_profile_dir()
        if self.path.exists() and not self.path.is_dir():
            raise ProfileError(f"{self.path}: not a folder; a profile is a folder")

    def file(self, name: str) -> Path:
        return self.path / name

    def ensure(self) -> None:
        """Create the folder (0700), or tighten one that exists to 0700."""
        try:
            self.path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            os.chmod(self.path, PRIVATE_DIR)
        except OSError as error:
            raise ProfileError(f"{self.path}: cannot create the profile folder ({error.strerror or error})") from None

    # --- the dictionary -------------------------------------------------------------------------------

    def dictionary(self) -> DictionaryFile:
        return parse_dictionary(self.file(DICTIONARY))

    def add_word(self, word: str) -> str:
        """Add word to the dictionary (appended, the file kept 0600); returns the stored form. ValueError
        for what cannot be a word, ProfileError when the file cannot be written."""
        word = dictionary_form(word)
        if (problem := word_problem(word)) is not None:
            raise ValueError(f"{problem}: {word[:MAX_WORD]!r}")
        if word not in self.dictionary().words:
            self.update_dictionary(add=[word])
        return word

    def update_dictionary(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> tuple[str, ...]:
        """Apply additions and removals to the dictionary as it is on disk now (another program may have
        added words since this one read it); returns the words written."""
        current = self.dictionary().words
        gone = {dictionary_form(w) for w in remove}
        words = [w for w in current if w not in gone]
        for word in map(dictionary_form, add):
            if word not in words and word not in gone and word_problem(word) is None:
                words.append(word)
        if tuple(words) != current or not self.file(DICTIONARY).is_file():
            self._write(DICTIONARY, "".join(w + "\n" for w in words))
            log.info("wrote the profile dictionary (%d words)", len(words))  # never the words
        return tuple(words)

    # --- the writer's settings ------------------------------------------------------------------------

    def settings(self) -> dict:
        """settings.json, checked, with the defaults of what it does not say (SETTING_TYPES)."""
        path = self.file(SETTINGS)
        lines = read_text_lines(path)
        if not lines:
            return dict(SETTING_DEFAULTS)
        try:
            payload = json.loads("\n".join(lines))
        except json.JSONDecodeError as error:
            raise ProfileError(f"{path}:{error.lineno}: invalid JSON ({error.msg})") from None
        if not isinstance(payload, dict):
            raise ProfileError(f"{path}: expected a JSON object of settings")
        for key, value in payload.items():
            if key not in SETTING_TYPES:
                raise ProfileError(f"{path}: unknown setting {key!r}; one of {', '.join(SETTING_TYPES)}")
            if not isinstance(value, SETTING_TYPES[key]):
                raise ProfileError(f"{path}: {key}: expected true or false, got {json.dumps(value)[:40]}")
        return {**SETTING_DEFAULTS, **payload}

    def records_decisions(self) -> bool:
        """Whether decisions may be written to the log (the writer's privacy switch; on unless turned off)."""
        return self.settings()["record_decisions"]

    def set_records_decisions(self, on: bool) -> None:
        """Turn recording decisions on or off for every program using this profile (the log is kept)."""
        settings = {**self.settings(), "record_decisions": bool(on)}
        self._write(SETTINGS, json.dumps(settings, indent=1, sort_keys=True) + "\n")
        log.info("recording decisions turned %s", "on" if on else "off")

    # --- the decisions log ----------------------------------------------------------------------------

    def append_decisions(self, records: Iterable[dict]) -> int:
        """Append decisions (JSON objects, see nahawi.profile.decisions) to decisions.jsonl, one a line;
        nothing while recording is off (`records_decisions`). Returns how many were written."""
        records = list(records)
        if not records or not self.records_decisions():
            return 0
        lines = _json_lines(records)
        self.ensure()
        path = self.file(DECISIONS)
        try:
            with open(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE), "a",
                      encoding="utf-8", newline="\n") as handle:
                os.chmod(path, PRIVATE_FILE)
                handle.write(lines)
        except OSError as error:
            raise ProfileError(f"{path}: cannot be written ({error.strerror or error})") from None
        return len(records)

    def write_decisions(self, records: Iterable[dict]) -> None:
        """Replace the decisions log with records (atomically, 0600): what forgetting a learned item keeps."""
        self._write(DECISIONS, _json_lines(records))

    # --- what was learned -----------------------------------------------------------------------------

    def overlay(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """The learned words and word pairs with their counts (overlay.tsv)."""
        path = self.file(OVERLAY)
        words: dict[str, int] = {}
        pairs: dict[tuple[str, str], int] = {}
        for number, line in enumerate(read_text_lines(path), 1):
            if not line or line.startswith("#"):
                continue
            key, tab, count = line.partition("\t")
            parts = key.split(" ")
            if not tab or not count.isascii() or not count.isdigit() or len(parts) > 2 or not all(parts) \
                    or any(word_problem(p) for p in parts) or int(count) > 1 << 31:
                raise ProfileError(f"{path}:{number}: expected 'word<TAB>count' or 'word word<TAB>count'")
            if len(parts) == 1:
                words[parts[0]] = int(count)
            else:
                pairs[parts[0], parts[1]] = int(count)
        return words, pairs

    def write_overlay(self, words: dict[str, int], pairs: dict[tuple[str, str], int]) -> None:
        lines = ["# nahawi profile overlay: word<TAB>count, then first second<TAB>count (docs/profile.md)\n"]
        lines += [f"{w}\t{c}\n" for w, c in sorted(words.items())]
        lines += [f"{a} {b}\t{c}\n" for (a, b), c in sorted(pairs.items())]
        self._write(OVERLAY, "".join(lines))

    def learned(self) -> dict:
        """learned.json (thresholds, feature weights, suppressions), checked; {} when there is none."""
        path = self.file(LEARNED)
        lines = read_text_lines(path)
        if not lines:
            return {}
        try:
            payload = json.loads("\n".join(lines))
        except json.JSONDecodeError as error:
            raise ProfileError(f"{path}:{error.lineno}: invalid JSON ({error.msg})") from None
        check_learned(payload, path)
        return payload

    def write_learned(self, payload: dict) -> None:
        check_learned(payload, self.file(LEARNED))
        self._write(LEARNED, json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n")

    def reset(self) -> list[str]:
        """Forget what was learned and the decisions log (the dictionary stays: the writer made it);
        returns the names of the files removed."""
        removed = []
        for name in (OVERLAY, LEARNED, DECISIONS, ADAPTER):
            try:
                self.file(name).unlink()
                removed.append(name)
            except FileNotFoundError:
                continue
            except OSError as error:
                raise ProfileError(f"{self.file(name)}: cannot be removed ({error.strerror or error})") from None
        return removed

    def _write(self, name: str, text: str) -> None:
        self.ensure()
        try:
            write_private(self.file(name), text)
        except OSError as error:
            raise ProfileError(f"{self.file(name)}: cannot be written ({error.strerror or error})") from None


def _json_lines(records: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)


LEARNED_KEYS = {"format", "thresholds", "gate", "punctuation", "suppressed_pairs", "suppressed_contexts",
                "summary"}
MAX_WEIGHT = 20.0  # a learned weight beyond this is not something fitting makes


def _number(value, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ProfileError(f"{where}: expected a number from {low} to {high}, got {value!r}")
    return float(value)


def _strings(value, count: int, where: str) -> None:
    if not isinstance(value, list) or len(value) != count or not all(isinstance(s, str) for s in value):
        raise ProfileError(f"{where}: expected a list of {count} strings")


def check_learned(payload, path: Path) -> None:
    """ProfileError naming path and the bad key unless payload is a learned.json this nahawi reads."""
    if not isinstance(payload, dict) or payload.get("format") != LEARNED_FORMAT:
        raise ProfileError(f"{path}: not a {LEARNED_FORMAT} file")
    unknown = set(payload) - LEARNED_KEYS
    if unknown:
        raise ProfileError(f"{path}: unknown key {min(unknown)!r}")
    for key in LEARNED_KEYS - {"format"}:
        wanted = list if key.startswith("suppressed") else dict
        if key in payload and not isinstance(payload[key], wanted):
            raise ProfileError(f"{path}: {key}: expected a JSON {'list' if wanted is list else 'object'}")
    for kind, value in payload.get("thresholds", {}).items():
        _number(value, f"{path}: thresholds.{kind}", 0.0, 1.0)
    for name, value in payload.get("gate", {}).items():
        _number(value, f"{path}: gate.{name}", -MAX_WEIGHT, MAX_WEIGHT)
    for name, row in payload.get("punctuation", {}).items():
        if not isinstance(row, dict):
            raise ProfileError(f"{path}: punctuation.{name}: expected an object of label: weight")
        for label, value in row.items():
            _number(value, f"{path}: punctuation.{name}.{label}", -MAX_WEIGHT, MAX_WEIGHT)
    for index, pair in enumerate(payload.get("suppressed_pairs", [])):
        _strings(pair, 2, f"{path}: suppressed_pairs[{index}]")
    for index, context in enumerate(payload.get("suppressed_contexts", [])):
        _strings(context, 4, f"{path}: suppressed_contexts[{index}]")
