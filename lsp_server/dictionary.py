"""The user's dictionary: words that are never flagged, kept in plain text files the server writes itself.

Owns where the files live (the user file is the personal profile's, `nahawi.profile`: `dictionary.txt` in
`$XDG_DATA_HOME/nahawi/profile` or `NAHAWI_PROFILE`, shared with the app and the CLI, read and written by
`nahawi.profile.Profile`; a word list an earlier release kept in `$XDG_CONFIG_HOME/nahawi/dictionary.txt`
is moved into it once; or `<workspace>/.nahawi/dictionary.txt`), their format (UTF-8, one word a line, `#`
comments), adding a word, and which words an edit touches. Writing the file server-side makes "add to
dictionary" work in every editor. The user's file says what they write about, so it is 0600 in a 0700
folder; a workspace file belongs to the project and keeps the umask's modes. Knows nothing of LSP or models.
"""
from __future__ import annotations

import logging
import os
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from nahawi.profile.store import (
    DICTIONARY,
    MAX_WORD,
    Profile,
    ProfileError,
    default_profile_dir,
    word_problem,
)
from nahawi.profile.writer import strip_marks, words_at

log = logging.getLogger("nahawi.lsp")

FILE_NAME = "dictionary.txt"
WORKSPACE_DIR = ".nahawi"
TATWEEL = "\u0640"
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
def user_dictionary_path() -> Path:
    """The per-user dictionary file: the personal profile's (nahawi.profile), shared with the app."""
    return default_profile_dir() / DICTIONARY


def legacy_dictionary_path() -> Path:
    """Where releases before the profile kept the user's words (XDG config dir, %APPDATA% on Windows)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "nahawi" / FILE_NAME
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nahawi" / FILE_NAME


def workspace_dictionary_path(root: str | Path) -> Path:
    return Path(root) / WORKSPACE_DIR / FILE_NAME


def normalize_word(word: str) -> str:
    """The form words are compared in: NFC, without tatweel or surrounding punctuation and spaces."""
    return strip_marks(unicodedata.normalize("NFC", word).replace(TATWEEL, "").strip())


def read_words(path: Path) -> set[str]:
    """Words of one dictionary file; a missing file is empty, an unreadable one raises OSError."""
    if not path.is_file():
        return set()
    words = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word = normalize_word(line)
            if word and word_problem(word) is None:
                words.add(word)
    return words


class Dictionary:
    """Words from the writable file plus any read-only word lists; `private`: the writable file is the
    user's own (0600 in a 0700 folder)."""

    def __init__(self, path: Path, extra_paths: Iterable[Path] = (), private: bool = False):
        self.path, self.private = path, private
        self.extra_paths = tuple(extra_paths)
        self.words: set[str] = set()
        self._stamps: tuple = ()

    def _stamp(self) -> tuple:
        stamps = []
        for path in (self.path, *self.extra_paths):
            try:
                stat = path.stat()
                stamps.append((stat.st_mtime_ns, stat.st_size))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def load(self) -> list[str]:
        """(Re)read every file; returns one line per file that could not be read."""
        words, problems = set(), []
        if self.private and self.path == user_dictionary_path():
            problems += self._move_legacy()
        self._stamps = self._stamp()
        for path in (self.path, *self.extra_paths):
            try:
                words |= read_words(path)
            except OSError as error:
                problems.append(f"{path}: {error.strerror or error}")
        self.words = words
        return problems

    def reload_if_changed(self) -> None:
        """Re-read the files when one was edited outside the server (by hand, or by another editor)."""
        if self._stamp() != self._stamps:
            self.load()

    def __contains__(self, word: str) -> bool:
        return normalize_word(word) in self.words

    def add(self, word: str) -> str:
        """Append word to the writable file (creating it and its folder); returns the stored form.
        Raises ValueError for what cannot be a word (empty, several, too long, control characters) and
        OSError when the file cannot be written."""
        word = normalize_word(word)
        if (problem := word_problem(word)) is not None:
            raise ValueError(f"{problem}: {word[:MAX_WORD]!r}")
        if word not in self.words and self.private:
            try:
                Profile(self.path.parent).update_dictionary(add=[word])
            except ProfileError as error:
                raise OSError(str(error)) from None
            self.words.add(word)
            self._stamps = self._stamp()
            log.info("added a word to %s", self.path)  # never the word: the log is not private
        elif word not in self.words:
            self._make_folder()
            needs_newline = self.path.is_file() and not self.path.read_bytes().endswith(b"\n") \
                and self.path.stat().st_size > 0
            mode = PRIVATE_FILE if self.private else 0o666
            with open(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode), "a", encoding="utf-8",
                      newline="\n") as handle:
                if self.private:
                    os.chmod(self.path, PRIVATE_FILE)  # also a file an earlier release made with the umask's mode
                handle.write(("\n" if needs_newline else "") + word + "\n")
            self.words.add(word)
            self._stamps = self._stamp()
            log.info("added a word to %s", self.path)  # never the word: the log is not private
        return word

    def _move_legacy(self) -> list[str]:
        """Words of the pre-profile user file, added once to the profile's (which then exists)."""
        legacy = legacy_dictionary_path()
        if self.path.is_file() or not legacy.is_file() or legacy == self.path:
            return []
        try:
            Profile(self.path.parent).update_dictionary(add=sorted(read_words(legacy)))
        except (OSError, ProfileError) as error:
            return [f"{legacy}: {getattr(error, 'strerror', None) or error}"]
        log.info("moved the user's words from %s into the profile", legacy)
        return []

    def _make_folder(self) -> None:
        if not self.private:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return
        self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(self.path.parent, PRIVATE_DIR)

    def touches(self, text: str, start: int, end: int) -> bool:
        """True when the edit [start, end) of text changes a dictionary word (insertions at a word's edge
        do not change it)."""
        return any(normalize_word(w) in self.words for w in words_at(text, start, end))
