"""The lexicon's counts as tables (nahawi.tables): what `nahawi.lexicon.Lexicon` looks words up in.

One file (`lexicon.tables` in a model directory, written by `nahawi export` from lexicon.tsv.gz) or the
same bytes built in memory from count dicts. It holds:
- `words`: every unigram word (sorted), then the words only bigrams name (`</s>`, marks), as a StringIndex;
- `counts`: the unigram words' counts (uint32), so a word numbered `unigrams` or more is not known;
- the spelling groups: words that `fold_variants` makes equal, their members in the order the counts were
  given (a tie between spellings goes to the first, as the dicts did) and the most frequent, found by a
  hash of the fold key and checked by folding the member it names (no key strings stored);
- the repair keys (`fold_confusable`): the most frequent word of each, found the same way;
- the bigrams, grouped by first word (CSR: `bigram_start`, `bigram_next` sorted within a group,
  `bigram_count`), looked up by bisection.
The default model's 168,086 words and 343,209 bigrams took 160 MB and 2 s to load as dicts; mapped they
take a few MB of pages actually touched. Knows nothing of suggestions or configs.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np

from nahawi.tables import Memo, StringIndex, Tables, _ints, hash_slots, open_tables, probe, tables_bytes

KIND = "nahawi-lexicon/1"


def _group(counts: Mapping[str, int], key: Callable[[str], str], number: dict[str, int]):
    """(keys in first-seen order, each key's members as word numbers in the counts' order, its most
    frequent member: the first of the largest count)."""
    members: dict[str, list[int]] = {}
    best: dict[str, tuple[int, int]] = {}
    for word, count in counts.items():
        k = key(word)
        members.setdefault(k, []).append(number[word])
        if k not in best or count > best[k][0]:
            best[k] = (count, number[word])
    return list(members), members, best


def build_lexicon_tables(counts: Mapping[str, int], bigrams: Mapping[tuple[str, str], int] | None = None,
                         source_sha256: str = "") -> bytes:
    """The tables file for unigram `counts` and `bigrams` (`source_sha256`: of the TSV they came from)."""
    from nahawi.lexicon import fold_confusable, fold_variants

    bigrams = bigrams or {}
    unigrams = sorted(counts)
    extra = sorted({w for pair in bigrams for w in pair} - counts.keys())
    words = unigrams + extra
    number = {w: k for k, w in enumerate(words)}
    arrays = {f"words.{k}": v for k, v in StringIndex.build(words).items()}
    arrays["counts"] = np.array([counts[w] for w in unigrams], dtype=np.uint32)
    keys, members, best = _group(counts, fold_variants, number)
    arrays["fold_slots"], arrays["fold_hashes"] = hash_slots(k.encode("utf-8") for k in keys)
    arrays["fold_best"] = np.array([best[k][1] for k in keys], dtype=np.int32)
    arrays["fold_start"] = np.cumsum([0] + [len(members[k]) for k in keys], dtype=np.int64).astype(np.uint32)
    arrays["fold_members"] = np.array([m for k in keys for m in members[k]], dtype=np.int32)
    wide_keys, _, wide_best = _group(counts, fold_confusable, number)
    arrays["wide_slots"], arrays["wide_hashes"] = hash_slots(k.encode("utf-8") for k in wide_keys)
    arrays["wide_best"] = np.array([wide_best[k][1] for k in wide_keys], dtype=np.int32)
    pairs = sorted((number[a], number[b], c) for (a, b), c in bigrams.items())
    firsts = np.array([a for a, _, _ in pairs], dtype=np.int64)
    arrays["bigram_start"] = np.searchsorted(firsts, np.arange(len(words) + 1)).astype(np.uint32)
    arrays["bigram_next"] = np.array([b for _, b, _ in pairs], dtype=np.uint32)
    arrays["bigram_count"] = np.array([c for _, _, c in pairs], dtype=np.uint32)
    meta = {"unigrams": len(unigrams), "bigrams": len(pairs), "total": int(sum(counts.values())),
            "source_sha256": source_sha256}
    return tables_bytes(KIND, arrays, meta)


def write_lexicon_tables(path: str | Path, counts, bigrams=None, source: str | Path | None = None) -> None:
    digest = hashlib.sha256(Path(source).read_bytes()).hexdigest() if source is not None else ""
    Path(path).write_bytes(build_lexicon_tables(counts, bigrams, digest))


class LexiconTables:
    """Lookups in a lexicon tables file (see the module docstring)."""

    def __init__(self, tables: Tables, with_bigrams: bool = True):
        from nahawi.lexicon import fold_confusable, fold_variants

        self.tables, self.with_bigrams = tables, with_bigrams
        self.fold, self.wide = fold_variants, fold_confusable
        self.words = tables.strings("words")
        self.unigrams, self.total = int(tables.meta["unigrams"]), max(1, int(tables.meta["total"]))
        self.source_sha256 = str(tables.meta.get("source_sha256", ""))
        self.counts = _ints(tables["counts"], np.uint32, "I")
        self.fold_slots, self.fold_best = _ints(tables["fold_slots"], np.int32, "i"), _ints(tables["fold_best"], np.int32, "i")
        self.fold_hashes, self.wide_hashes = _ints(tables["fold_hashes"], np.uint32, "I"), _ints(tables["wide_hashes"], np.uint32, "I")
        self.fold_start = _ints(tables["fold_start"], np.uint32, "I")
        self.fold_members = _ints(tables["fold_members"], np.int32, "i")
        self.wide_slots, self.wide_best = _ints(tables["wide_slots"], np.int32, "i"), _ints(tables["wide_best"], np.int32, "i")
        self.bigram_start = _ints(tables["bigram_start"], np.uint32, "I")
        self.bigram_next = _ints(tables["bigram_next"], np.uint32, "I")
        self.bigram_count = _ints(tables["bigram_count"], np.uint32, "I")
        self.bigrams = int(tables.meta["bigrams"]) if with_bigrams else 0
        self.group_memo = Memo()

    @classmethod
    def open(cls, path: str | Path) -> LexiconTables:
        return cls(open_tables(path, KIND))

    @classmethod
    def from_counts(cls, counts, bigrams=None) -> LexiconTables:
        return cls(Tables.from_bytes(build_lexicon_tables(counts, bigrams)))

    def without_bigrams(self) -> LexiconTables:
        return LexiconTables(self.tables, with_bigrams=False)

    def count(self, word: str) -> int:
        number = self.words.find(word)
        return self.counts[number] if 0 <= number < self.unigrams else 0

    def knows(self, word: str) -> bool:
        return 0 <= self.words.find(word) < self.unigrams

    def usual(self, key: str) -> str | None:
        """The most frequent word whose `fold_variants` is `key`."""
        return self._group(key)[1]

    def spellings(self, key: str) -> list[tuple[str, int]]:
        """(word, count) of every word whose `fold_variants` is `key`, in the counts' order."""
        group = self._group(key)[0]
        if group < 0:
            return []
        numbers = self.fold_members[self.fold_start[group]:self.fold_start[group + 1]]
        return [(self.words[n], self.counts[n]) for n in numbers]

    def _group(self, key: str) -> tuple[int, str | None]:
        """(the spelling group of `key`, its most frequent word), or (-1, None)."""
        found = self.group_memo.get(key)
        if found is None:
            found = self.group_memo.remember(key, self._find_group(key))
        return found

    def _find_group(self, key: str) -> tuple[int, str | None]:
        for group in probe(self.fold_slots, self.fold_hashes, key.encode("utf-8")):
            best = self.words[self.fold_best[group]]  # decoded once: the check and `usual` both need it
            if self.fold(best) == key:
                return group, best
        return -1, None

    def repair(self, key: str) -> str | None:
        """The most frequent word whose `fold_confusable` is `key`."""
        for number in probe(self.wide_slots, self.wide_hashes, key.encode("utf-8")):
            word = self.words[self.wide_best[number]]
            if self.wide(word) == key:
                return word
        return None

    def bigram(self, first: str, second: str) -> int:
        if not self.bigrams:
            return 0
        a, b = self.words.find(first), self.words.find(second)
        if a < 0 or b < 0:
            return 0
        lo, hi = self.bigram_start[a], self.bigram_start[a + 1]
        k = bisect_left(self.bigram_next, b, lo, hi)
        return self.bigram_count[k] if k < hi and self.bigram_next[k] == b else 0

    def count_with_prefix(self, prefix: str) -> int:
        """The total count of the words longer than `prefix` that start with it."""
        first = bisect_left(self.words, prefix, 0, self.unigrams)
        last = bisect_left(self.words, prefix + "\U0010ffff", first, self.unigrams)
        counts = np.asarray(self.tables["counts"][first:last], dtype=np.int64)
        return int(counts.sum()) - self.count(prefix)


class WordCounts(Mapping):
    """The unigram counts as a read-only mapping (what `Lexicon.counts` was as a dict)."""

    def __init__(self, tables: LexiconTables):
        self.tables = tables

    def __getitem__(self, word: str) -> int:
        number = self.tables.words.find(word) if isinstance(word, str) else -1
        if not 0 <= number < self.tables.unigrams:
            raise KeyError(word)
        return self.tables.counts[number]

    def get(self, word, default=None):
        number = self.tables.words.find(word) if isinstance(word, str) else -1
        return self.tables.counts[number] if 0 <= number < self.tables.unigrams else default

    def __contains__(self, word) -> bool:
        return isinstance(word, str) and self.tables.knows(word)

    def __iter__(self) -> Iterator[str]:
        return (self.tables.words[k] for k in range(self.tables.unigrams))

    def __len__(self) -> int:
        return self.tables.unigrams


class BigramCounts(Mapping):
    """The bigram counts as a read-only mapping from (first, second) word pairs."""

    def __init__(self, tables: LexiconTables):
        self.tables = tables

    def __getitem__(self, pair: tuple[str, str]) -> int:
        count = self.get(pair, 0)
        if not count:
            raise KeyError(pair)
        return count

    def get(self, pair, default=None):
        count = self.tables.bigram(*pair) if isinstance(pair, tuple) and len(pair) == 2 else 0
        return count if count else default

    def __iter__(self) -> Iterator[tuple[str, str]]:
        t = self.tables
        if not t.bigrams:
            return
        for a in range(len(t.words)):
            for k in range(t.bigram_start[a], t.bigram_start[a + 1]):
                yield t.words[a], t.words[t.bigram_next[k]]

    def __len__(self) -> int:
        return self.tables.bigrams
