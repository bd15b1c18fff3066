"""Text files on disk: strict UTF-8 reading with a report, atomic saving, and crash-safe autosave.

Owns the bytes. A file is read as UTF-8 (an optional BOM is noted and kept); anything else raises
`EncodingProblem` naming the first invalid byte and a guess at the real encoding, so a file is never
silently misread — converting is a separate, explicit `decode_as`. Line endings are normalised to "\\n" for
the editor and the file's own style (LF, CRLF or CR; the most frequent one when mixed, which is reported)
is restored on save, so an unchanged file saves to the same bytes. Saving writes a temporary file in the
same folder and `os.replace`s it over the target. Autosave keeps one JSON record per running editor in the
app data folder, guarded by a QLockFile, so records left by a crashed session can be offered back; the
records are the writer's unsaved drafts, so they are 0600 in a 0700 folder. `IgnoreStore` keeps, the same
way, what the writer ignored in each document. Knows nothing of widgets or the engine.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile

from nahawi.errors import InputError

UTF8_BOM = b"\xef\xbb\xbf"
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600  # autosave: unsaved drafts are for their writer's eyes only
NEWLINES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"), (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
         (b"\xff\xfe", "utf-16", "UTF-16"), (b"\xfe\xff", "utf-16", "UTF-16"))
LABELS = {"utf-8": "UTF-8", "cp1256": "Windows-1256", "cp1252": "Windows-1252", "utf-16": "UTF-16",
          "utf-32-le": "UTF-32", "utf-32-be": "UTF-32", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE"}


@dataclass(frozen=True)
class LoadedText:
    text: str  # what the editor shows: line breaks are "\n"
    encoding: str = "utf-8"  # the codec the bytes were decoded with
    bom: bool = False  # the file started with a UTF-8 byte-order mark (kept on save)
    newline: str = "\n"  # the line ending written back on save
    mixed_newlines: bool = False  # the file used more than one line-ending style
    paragraph_separators: bool = False  # the file holds U+2029, which the editor turns into line breaks


class EncodingProblem(InputError):
    """A file that is not valid UTF-8; `guess` is the codec it probably uses (or None)."""

    def __init__(self, path: Path, offset: int, guess: str | None):
        self.path, self.offset, self.guess = path, offset, guess
        label = LABELS.get(guess, guess) if guess else "an unknown encoding"
        super().__init__(f"{path}: not UTF-8 (first invalid byte at offset {offset}); it looks like {label}")

    @property
    def guess_label(self) -> str:
        return LABELS.get(self.guess, self.guess or "?")


def read_text_file(path: str | Path) -> LoadedText:
    """The file's text, decoded strictly as UTF-8; raises EncodingProblem for anything else."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: {error.strerror or error}") from error
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if bom else data
    foreign = next((codec for mark, codec, _ in _BOMS if data.startswith(mark)), None)
    if foreign:
        raise EncodingProblem(path, 0, foreign)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EncodingProblem(path, error.start + len(UTF8_BOM) * bom, guess_encoding(body)) from None
    return _loaded(text, "utf-8", bom)


def decode_as(path: str | Path, encoding: str) -> LoadedText:
    """The file's text decoded with the codec the user chose (strictly: undecodable bytes are an error)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode(encoding)
    except OSError as error:
        raise InputError(f"{path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, LookupError) as error:
        raise InputError(f"{path}: cannot be read as {LABELS.get(encoding, encoding)}: {error}") from None
    return _loaded(text.removeprefix("\ufeff"), encoding, False)


def guess_encoding(data: bytes) -> str | None:
    """A likely codec for bytes that are not UTF-8: UTF-16 without BOM, Windows-1256 (Arabic) or -1252."""
    if not data:
        return None
    sample = data[:65536]
    if len(sample) % 2 == 0:
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                if _looks_like_text(sample.decode(codec)):
                    return codec
            except UnicodeDecodeError:
                continue
    high = [b for b in sample if b >= 0x80]
    arabic = sum(1 for ch in bytes(high).decode("cp1256", errors="replace") if "\u0600" <= ch <= "\u06ff")
    if high and arabic >= len(high) // 2:
        return "cp1256"
    return "cp1252"


def _looks_like_text(text: str) -> bool:
    """Mostly Arabic, ASCII and whitespace (what a mis-decoded byte stream almost never is)."""
    good = sum(1 for ch in text if ch.isspace() or " " <= ch <= "~" or "\u0600" <= ch <= "\u06ff")
    return good >= 0.9 * len(text)


def _loaded(raw: str, encoding: str, bom: bool) -> LoadedText:
    crlf = raw.count("\r\n")
    cr, lf = raw.count("\r") - crlf, raw.count("\n") - crlf
    counts = {"\n": lf, "\r\n": crlf, "\r": cr}
    styles = [style for style, count in counts.items() if count]
    newline = max(styles, key=lambda style: counts[style]) if styles else "\n"
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return LoadedText(text, encoding, bom, newline, len(styles) > 1, "\u2029" in text)


def encode_for_save(text: str, loaded: LoadedText) -> bytes:
    """The bytes of editor text in the file's own style: UTF-8 (BOM kept if it had one), its line ending."""
    body = text.replace("\u2029", "\n")
    if loaded.newline != "\n":
        body = body.replace("\n", loaded.newline)
    return (UTF8_BOM if loaded.bom else b"") + body.encode("utf-8")


def save_atomic(path: str | Path, data: bytes, mode: int | None = None) -> None:
    """Write data to path through a temporary file in the same folder and os.replace: never half-written.
    The file keeps its permissions (a new one gets the umask's), unless `mode` sets them."""
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass(frozen=True)
class AutosaveRecord:
    session: str
    text: str
    path: str  # the file the work belongs to, "" for an untitled document
    newline: str
    bom: bool
    saved_at: float  # time.time()
    record_file: Path

    @property
    def name(self) -> str:
        return Path(self.path).name if self.path else ""


class AutosaveStore:
    """One autosave record per editor session in directory; the session's lock marks it as alive."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(self.directory, PRIVATE_DIR)  # also when an earlier release made it with the umask's mode
        self.session = uuid.uuid4().hex
        self.lock = QLockFile(str(self.directory / f"{self.session}.lock"))
        self.lock.setStaleLockTime(0)  # a lock is stale only when its process is gone, never by age
        self.lock.tryLock(0)

    @property
    def record_file(self) -> Path:
        return self.directory / f"{self.session}.json"

    def write(self, text: str, path: str, loaded: LoadedText) -> None:
        record = {"version": 1, "text": text, "path": path, "newline": loaded.newline, "bom": loaded.bom,
                  "saved_at": time.time()}
        save_atomic(self.record_file, json.dumps(record, ensure_ascii=False).encode("utf-8"), mode=PRIVATE_FILE)

    def clear(self) -> None:
        self.record_file.unlink(missing_ok=True)

    def close(self) -> None:
        """End the session cleanly: its record is no longer needed."""
        self.clear()
        self.lock.unlock()

    def orphans(self) -> list[AutosaveRecord]:
        """Records of sessions whose editor is no longer running, newest first."""
        records = []
        for file in self.directory.glob("*.json"):
            session = file.stem
            if session == self.session or not self._is_abandoned(session):
                continue
            record = _read_record(file, session)
            if record is not None:
                records.append(record)
        return sorted(records, key=lambda r: r.saved_at, reverse=True)

    def discard(self, record: AutosaveRecord) -> None:
        record.record_file.unlink(missing_ok=True)
        (self.directory / f"{record.session}.lock").unlink(missing_ok=True)

    def _is_abandoned(self, session: str) -> bool:
        lock = QLockFile(str(self.directory / f"{session}.lock"))
        lock.setStaleLockTime(0)
        if lock.tryLock(0):  # nobody holds it (or its process died): the session is over
            lock.unlock()
            return True
        return False


def _read_record(file: Path, session: str) -> AutosaveRecord | None:
    """The record in file, or None when it holds no draft (not JSON, not an object, no text); a field of
    the wrong type falls back to its default, so the draft itself is still offered."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8 (UnicodeDecodeError), not JSON or truncated
        return None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    newline, path, bom, saved_at = data.get("newline"), data.get("path"), data.get("bom"), data.get("saved_at")
    if not isinstance(saved_at, (int, float)) or isinstance(saved_at, bool) or not 0 <= saved_at < 1e12:
        saved_at = 0.0  # also NaN and infinity, which no clock gives (and time.localtime refuses)
    return AutosaveRecord(session, data["text"], path if isinstance(path, str) else "",
                          newline if isinstance(newline, str) and newline in NEWLINES else "\n",
                          bom if isinstance(bom, bool) else False, float(saved_at), file)


class IgnoreStore:
    """What the writer chose to ignore in each document, kept beside the autosave records (0600 in a 0700
    folder: the surroundings of an ignored occurrence are the writer's text), one JSON file per document path
    (named by its SHA-256, so the folder does not list the writer's file names). A moved file starts afresh."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _file(self, path: str) -> Path:
        return self.directory / f"{hashlib.sha256(path.encode('utf-8', 'surrogatepass')).hexdigest()}.json"

    def load(self, path: str) -> tuple[set[str], set[tuple[str, str, str, str]]]:
        """(words, occurrences) ignored in the document at path; empty when nothing (readable) is kept."""
        try:
            data = json.loads(self._file(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set(), set()
        if not isinstance(data, dict) or data.get("path") != path:
            return set(), set()
        words, occurrences = data.get("words"), data.get("occurrences")
        words = {w for w in words if isinstance(w, str)} if isinstance(words, list) else set()
        occurrences = occurrences if isinstance(occurrences, list) else []
        return words, {tuple(o) for o in occurrences if isinstance(o, list) and len(o) == 4
                       and all(isinstance(part, str) for part in o)}

    def save(self, path: str, words: set[str], occurrences: set[tuple[str, str, str, str]]) -> None:
        file = self._file(path)
        if not words and not occurrences:
            file.unlink(missing_ok=True)
            return
        self.directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(self.directory, PRIVATE_DIR)
        record = {"version": 1, "path": path, "words": sorted(words), "occurrences": sorted(map(list, occurrences))}
        save_atomic(file, json.dumps(record, ensure_ascii=False).encode("utf-8"), mode=PRIVATE_FILE)
