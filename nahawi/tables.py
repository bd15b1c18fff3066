"""Read-only tables of numbers and strings in one memory-mapped file: how the statistics that ship with a
model (word and bigram counts, punctuation weights) are held without millions of Python objects.

A tables file is a small JSON header (its kind, its own metadata, and each array's dtype, offset and
length) followed by the arrays, little-endian, each 8-byte aligned:

    b"NAHAWI-TABLES\\n" | uint32 header length | header JSON (UTF-8) | arrays

Opened with `mmap`, so loading costs no parsing, pages are read only when touched and the same file is
shared by every process that has it open (the language server and the app); the same bytes can also be
held in memory (`Tables.from_bytes`), which is how a table built from counts at run time is used.
Strings live in a `StringIndex`: their UTF-8 bytes end to end, their offsets, and an open-addressing hash
table (CRC-32 of the bytes, linear probing, at most 4/5 full) from a string to its number, so a lookup is
a few slices of the file. The format is ours rather than SQLite (a query costs ~5 µs from Python) or a
trie library (a compiled dependency for what two arrays and a hash do); numpy builds it and reads it.
Knows nothing of what the tables mean.
"""
from __future__ import annotations

import json
import mmap
import struct
import sys
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from nahawi.errors import ModelError

MAGIC = b"NAHAWI-TABLES\n"
ALIGN = 8
EMPTY = -1  # an unused hash slot


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def tables_bytes(kind: str, arrays: dict[str, np.ndarray], meta: dict | None = None) -> bytes:
    """The file for `arrays` (1-D, any numeric dtype), with `kind` and `meta` in its header."""
    layout, offset = {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.ndim != 1:
            raise ValueError(f"table {name} must be one-dimensional, got shape {array.shape}")
        layout[name] = [array.dtype.newbyteorder("<").str, offset, int(array.size)]
        offset = _aligned(offset + array.nbytes)
    header = json.dumps({"kind": kind, "meta": meta or {}, "arrays": layout}, ensure_ascii=False,
                        sort_keys=True).encode("utf-8")
    start = _aligned(len(MAGIC) + 4 + len(header))
    out = bytearray(start + offset)
    out[:len(MAGIC) + 4 + len(header)] = MAGIC + struct.pack("<I", len(header)) + header
    for name, array in arrays.items():
        dtype, at, _ = layout[name]
        raw = np.ascontiguousarray(array, dtype=np.dtype(dtype)).tobytes()
        out[start + at:start + at + len(raw)] = raw
    return bytes(out)


def write_tables(path: str | Path, kind: str, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
    Path(path).write_bytes(tables_bytes(kind, arrays, meta))


def read_header(path: str | Path) -> dict:
    """The header of the tables file at `path` (kind, meta, arrays), read without mapping the arrays."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(MAGIC) + 4)
            if start[:len(MAGIC)] != MAGIC or len(start) < len(MAGIC) + 4:
                raise ValueError("not a tables file")
            (length,) = struct.unpack_from("<I", start, len(MAGIC))
            header = json.loads(handle.read(length).decode("utf-8"))
        if isinstance(header, dict):
            return header
        raise ValueError("header is not an object")
    except (OSError, ValueError, struct.error) as error:
        raise ModelError(f"{path}: not a readable tables file ({error})") from error


def is_tables_file(path: str | Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


class Tables:
    """The arrays of one tables file (numpy views of its bytes, never copies) and its header."""

    def __init__(self, buffer, where: str):
        self.buffer, self.where = buffer, where  # bytes or mmap: kept alive as long as the views
        try:
            if bytes(buffer[:len(MAGIC)]) != MAGIC:
                raise ValueError("not a tables file")
            (length,) = struct.unpack_from("<I", buffer, len(MAGIC))
            header = json.loads(bytes(buffer[len(MAGIC) + 4:len(MAGIC) + 4 + length]).decode("utf-8"))
            start = _aligned(len(MAGIC) + 4 + length)
            self.kind, self.meta = str(header["kind"]), dict(header["meta"])
            self.arrays = {name: _view(buffer, dtype, start + at, count)
                           for name, (dtype, at, count) in header["arrays"].items()}
            self.starts = {name: start + at for name, (_, at, _) in header["arrays"].items()}
        except (ValueError, KeyError, TypeError, struct.error) as error:
            raise ModelError(f"{where}: not a readable tables file ({error})") from error

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "<memory>") -> Tables:
        return cls(data, where)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.arrays[name]
        except KeyError:
            raise ModelError(f"{self.where}: tables file has no array {name!r}") from None

    def strings(self, name: str) -> StringIndex:
        """The StringIndex stored under `name` (arrays name.blob, name.offsets, name.slots, name.hashes)."""
        self[f"{name}.blob"]
        return StringIndex(self.buffer, self.starts[f"{name}.blob"], self[f"{name}.offsets"],
                           self[f"{name}.slots"], self[f"{name}.hashes"])


def _view(buffer, dtype: str, offset: int, count: int) -> np.ndarray:
    array = np.frombuffer(buffer, dtype=np.dtype(dtype), count=count, offset=offset)
    return array if sys.byteorder == "little" else array.astype(array.dtype.newbyteorder("="))


def open_tables(path: str | Path, kind: str) -> Tables:
    """Map the tables file at `path`; ModelError when it is unreadable or holds another kind of table."""
    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as error:  # ValueError: an empty file cannot be mapped
        raise ModelError(f"{path}: unreadable tables file ({error})") from error
    tables = Tables(mapped, str(path))
    if tables.kind != kind:
        raise ModelError(f"{path}: holds {tables.kind!r} tables, expected {kind!r}")
    return tables


def hash_key(data: bytes) -> int:
    return zlib.crc32(data)


def _ints(array: np.ndarray, dtype, code: str) -> memoryview:
    """A memoryview of integers (indexing it gives Python ints, ~3x faster than indexing numpy)."""
    return memoryview(np.ascontiguousarray(array, dtype=dtype)).cast("B").cast(code)


def probe(slots: memoryview, hashes: memoryview, data: bytes):
    """The numbers stored along the probe sequence of `data` in hash `slots` whose full hash is that of
    `data`, up to the first empty slot."""
    mask, full = len(slots) - 1, hash_key(data)
    slot = full & mask
    while (number := slots[slot]) != EMPTY:
        if hashes[slot] == full:
            yield number
        slot = (slot + 1) & mask


class Memo(dict):
    """A dict that forgets everything when it holds `limit` entries: a cache of recent lookups whose
    memory stays bounded (~4 MB at the default limit) at no bookkeeping cost per hit."""

    def __init__(self, limit: int = 1 << 15):
        super().__init__()
        self.limit = limit

    def remember(self, key, value):
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


class StringIndex(Sequence):
    """Strings by number and numbers by string (see the module docstring): the strings' UTF-8 bytes at
    `base` in `buffer` (bytes or mmap: slicing either gives bytes), their offsets from there, the hash
    slots and, beside each slot, the full hash of the string it holds (a probe compares bytes only when the
    hashes agree)."""

    def __init__(self, buffer, base: int, offsets: np.ndarray, slots: np.ndarray, hashes: np.ndarray):
        self.buffer, self.base = buffer, base
        self.offsets = _ints(offsets, np.uint32, "I")
        self.slots, self.hashes = _ints(slots, np.int32, "i"), _ints(hashes, np.uint32, "I")
        self.mask = len(self.slots) - 1
        self.memo = Memo()
        self.size = len(self.offsets) - 1  # read on every lookup by number: an attribute, not a call

    def __len__(self) -> int:
        return self.size

    def as_dict(self, chars: np.ndarray | None = None) -> dict[str, int]:
        """{string: number} for a small index looked up many times per word (a dict hit is ~20x faster
        than a probe; each entry costs ~120 bytes). `chars`: the strings' offsets in characters (the
        index's `chars` array), which lets one decode and C-level slicing build it (~10x faster)."""
        data = self.buffer[self.base:self.base + self.offsets[len(self)]]
        if chars is None:
            offsets = self.offsets
            return {data[offsets[k]:offsets[k + 1]].decode("utf-8"): k for k in range(len(self))}
        text, bounds = data.decode("utf-8"), chars.tolist()
        return dict(zip(map(text.__getitem__, map(slice, bounds[:-1], bounds[1:])), range(len(self))))

    def __getitem__(self, number: int) -> str:
        if not 0 <= number < self.size:
            raise IndexError(number)
        return self.buffer[self.base + self.offsets[number]:self.base + self.offsets[number + 1]].decode("utf-8")

    def find(self, text: str) -> int:
        """The number of `text`, or -1 (the last few thousand answers are remembered: text is Zipfian)."""
        number = self.memo.get(text)
        if number is None:
            number = self.memo.remember(text, self.lookup(text))
        return number

    def lookup(self, text: str) -> int:
        """`find` without the memo."""
        data = text.encode("utf-8")
        full = hash_key(data)
        slots, hashes, offsets, buffer, base, mask = self.slots, self.hashes, self.offsets, self.buffer, self.base, self.mask
        slot = full & mask
        while True:
            number = slots[slot]
            if number == EMPTY or (hashes[slot] == full
                                   and buffer[base + offsets[number]:base + offsets[number + 1]] == data):
                return number
            slot = (slot + 1) & mask

    @staticmethod
    def build(strings: Sequence[str], chars: bool = False) -> dict[str, np.ndarray]:
        """The arrays of an index of distinct `strings` (numbered in the given order); with `chars`, also
        their offsets in characters."""
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.uint32)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        slots, hashes = hash_slots(encoded)
        arrays = {"blob": blob, "offsets": offsets, "slots": slots, "hashes": hashes}
        if chars:  # for an index read whole into a dict (`as_dict`)
            arrays["chars"] = np.zeros(len(strings) + 1, dtype=np.uint32)
            np.cumsum([len(s) for s in strings], out=arrays["chars"][1:])
        return arrays


def hash_slots(keys: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Open-addressing slots holding key k (its UTF-8 bytes) as its number k, and the full hash of the
    key in each used slot. At most 4/5 full (a power of two: from 2/5 up): a miss probes ~13 slots at worst,
    comparing bytes only on a hash match; 2/3 made the full corpus's lexicon twice the size for 200k words."""
    keys = list(keys)
    size = 8
    while size * 4 < len(keys) * 5:
        size *= 2
    slots, hashes = np.full(size, EMPTY, dtype=np.int32), np.zeros(size, dtype=np.uint32)
    mask = size - 1
    for number, data in enumerate(keys):
        full = hash_key(data)
        slot = full & mask
        while slots[slot] != EMPTY:
            slot = (slot + 1) & mask
        slots[slot], hashes[slot] = number, full
    return slots, hashes
