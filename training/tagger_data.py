"""Training examples for the edit tagger: gold tags derived from source/target pairs, the tag vocabulary,
and pieces for the network.

Gold tags come from the project's token alignment (`nahawi.edits.align`, ERRANT-style): each source token
collects the target tokens aligned to it (insertions go to the token before them); a mark inserted after a
token becomes its mark tag, a deleted clitic whose host starts with it becomes a JOIN, and everything else is
the one anchored rewrite from the token to its output (`nahawi.tags.rewrite_between`). Applying the derived
tags reproduces the target whenever it is expressible (`apply_tags`); the vocabulary keeps the frequent
rewrites, and a token whose rewrite is out of vocabulary teaches nothing (its label is ignored).
Knows nothing of the network or of the training loop.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nahawi.edits.align import DELETE as OP_DELETE
from nahawi.edits.align import INSERT as OP_INSERT
from nahawi.edits.align import align_tokens
from nahawi.tags import (
    DELETE,
    JOIN,
    KEEP,
    MARKS,
    NO_MARK,
    Rewrite,
    TaggedToken,
    TagVocab,
    apply_tags,
    rewrite_between,
)

IGNORE = -100  # label the loss skips


def derive_tags(source: list[str], target: list[str]) -> list[TaggedToken]:
    """One TaggedToken per source token such that `apply_tags` gives `target` where tags can express it."""
    outputs: list[list[str]] = [[] for _ in source]
    deleted = [False] * len(source)
    leading: list[str] = []  # target tokens inserted before the first source token
    last = -1
    for op in align_tokens(source, target):
        if op.tag == OP_INSERT:
            (outputs[last] if last >= 0 else leading).append(target[op.j])
            continue
        last = op.i
        if op.tag == OP_DELETE:
            deleted[op.i] = True
        else:
            outputs[op.i].append(target[op.j])
    if leading and source:
        outputs[0] = leading + outputs[0]
    marks = [_peel_mark(out) for out in outputs]
    joins = _joins(source, outputs, marks)
    tagged = []
    for i, token in enumerate(source):
        if joins[i]:
            word = JOIN
        elif not outputs[i]:
            word = DELETE if deleted[i] else KEEP
        else:
            word = rewrite_between(token, " ".join(outputs[i])) or KEEP
        tagged.append(TaggedToken(token, word, marks[i]))
    return tagged


def _peel_mark(out: list[str]) -> str:
    """Take a mark inserted after the token's own output off `out` (in place)."""
    if len(out) >= 2 and out[-1] in MARKS and out[-2] not in MARKS:
        return out.pop()
    return NO_MARK


def _joins(source: list[str], outputs: list[list[str]], marks: list[str]) -> list[bool]:
    """Tokens to glue to the next one: a token whose output vanished while the next token's single output
    word starts with it (و الله → والله), or the mirror case. `outputs` and `marks` are rewritten in place
    (a mark after the glued pair follows its second token)."""
    joins = [False] * len(source)
    for i in range(len(source) - 1):
        here, there = outputs[i], outputs[i + 1]
        if len(here) + len(there) != 1:
            continue
        word = (here or there)[0]
        if len(word) > len(source[i]) and word.startswith(source[i]):
            joins[i] = True
            outputs[i], outputs[i + 1] = [], [word[len(source[i]):]]
            if marks[i] and not marks[i + 1]:
                marks[i], marks[i + 1] = NO_MARK, marks[i]
    return joins


def build_vocab(tagged_sentences: Iterable[list[TaggedToken]], max_rewrites: int, min_count: int) -> TagVocab:
    counts: Counter[str] = Counter()
    rewrites: dict[str, Rewrite] = {}
    for sentence in tagged_sentences:
        for item in sentence:
            if isinstance(item.word, Rewrite):
                key = item.word.key()
                counts[key] += 1
                rewrites[key] = item.word
    kept = [rewrites[k] for k, c in counts.most_common(max_rewrites) if c >= min_count]
    return TagVocab(kept)


@dataclass(frozen=True)
class Example:
    ids: np.ndarray  # (T,) int32: bos + pieces + eos
    word_labels: np.ndarray  # (T,) int16/32: word tag id at each token's first piece, IGNORE elsewhere
    mark_labels: np.ndarray  # (T,) mark id at each token's last piece, IGNORE elsewhere


def token_pieces(sp, tokens: list[str]) -> list[list[int]]:
    """Pieces of each token, as the encoder saw text (each word begins with ▁); never empty."""
    pieces = sp.encode(tokens)
    return [p if p else [sp.unk_id()] for p in pieces]


def piece_positions(pieces: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) piece position of each token in bos + pieces + eos."""
    lengths = np.array([len(p) for p in pieces])
    first = 1 + np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return first, first + lengths - 1


def encode_example(sp, vocab: TagVocab, tagged: list[TaggedToken], learn_marks: bool) -> Example:
    pieces = token_pieces(sp, [t.token for t in tagged])
    first, last = piece_positions(pieces)
    ids = np.array([sp.bos_id(), *(i for p in pieces for i in p), sp.eos_id()], dtype=np.int32)
    word_labels = np.full(len(ids), IGNORE, dtype=np.int32)
    mark_labels = np.full(len(ids), IGNORE, dtype=np.int32)
    for k, item in enumerate(tagged):
        word_id = vocab.word_id(item.word)
        word_labels[first[k]] = IGNORE if word_id is None else word_id
        if learn_marks:
            mark_id = vocab.mark_id(item.mark)
            mark_labels[last[k]] = IGNORE if mark_id is None else mark_id
    return Example(ids, word_labels, mark_labels)


def read_pairs(path: Path, limit: int = 0) -> list[dict]:
    """Records of a prepared train.jsonl / dev.jsonl ({"source", "target", "origin", ...})."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            records.append(json.loads(line))
            if limit and len(records) >= limit:
                break
    return records


def learns_marks(origin: str) -> bool:
    """Real pairs keep the writers' and annotators' punctuation, and punctuation-restoration pairs the
    corpus's marks; the others had it stripped on both sides, so their (absent) marks teach nothing about
    where marks go."""
    return origin in ("real", "punct")


@dataclass(frozen=True)
class ExampleSet:
    """Encoded examples, flat: example k is ids[offsets[k]:offsets[k + 1]] (and the same slice of labels)."""
    ids: np.ndarray  # uint16
    word_labels: np.ndarray  # int16, IGNORE where no label
    mark_labels: np.ndarray  # int8 (IGNORE = -100 fits)
    offsets: np.ndarray  # int64, len = examples + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def example(self, k: int) -> Example:
        start, end = self.offsets[k], self.offsets[k + 1]
        return Example(self.ids[start:end], self.word_labels[start:end], self.mark_labels[start:end])

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, ids=self.ids, word_labels=self.word_labels, mark_labels=self.mark_labels,
                 offsets=self.offsets)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ExampleSet:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["ids"], data["word_labels"], data["mark_labels"], data["offsets"])


def pairs_key(train_file: Path) -> str:
    """Names one prepared train.jsonl (its path, size and time): the derived tags depend on nothing else."""
    stat = Path(train_file).stat()
    return hashlib.sha256(f"{Path(train_file).resolve()}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:16]


def examples_key(train_file: Path, tokenizer: Path, max_rewrites: int, min_count: int, max_pieces: int,
                 train_pairs: int = 0) -> str:
    digest = hashlib.sha256(Path(tokenizer).read_bytes())
    digest.update(pairs_key(train_file).encode())
    digest.update(f"{max_rewrites}:{min_count}:{max_pieces}:{IGNORE}".encode())
    if train_pairs:
        digest.update(f"pairs:{train_pairs}".encode())
    return digest.hexdigest()[:16]


DERIVE_CHUNK = 25_000  # pairs whose derived tags are saved together (the unit of resuming)


def derive_all(records: list[dict], progress_dir: Path | None = None, log=print) -> list[list[TaggedToken]]:
    """Gold tags of every record ([] where they cannot rebuild its target). The alignment takes about an
    hour on one core, so with progress_dir each chunk of DERIVE_CHUNK pairs is saved there as it is done and
    read back by a later run instead of being derived again."""
    started = time.time()
    derived: dict[tuple[str, str], list[TaggedToken]] = {}  # real pairs are upsampled: derive each once
    out: list[list[TaggedToken]] = []
    for first in range(0, len(records), DERIVE_CHUNK):
        chunk = records[first:first + DERIVE_CHUNK]
        saved = progress_dir / f"tags-{first // DERIVE_CHUNK:04d}.jsonl" if progress_dir else None
        lines = saved.read_text("utf-8").splitlines() if saved is not None and saved.exists() else []
        if len(lines) >= len(chunk):  # a chunk saved whole also serves a run that reads fewer pairs
            tagged_chunk = [_tags_from_json(json.loads(line)) for line in lines[:len(chunk)]]
        else:
            tagged_chunk = [_derive_reachable(record, derived) for record in chunk]
            if saved is not None:
                _write_atomically(saved, "".join(json.dumps(_tags_to_json(t), ensure_ascii=False) + "\n"
                                                 for t in tagged_chunk))
        for record, tagged in zip(chunk, tagged_chunk):
            derived[(record["source"], record["target"])] = tagged
        out += tagged_chunk
        log(f"tags: {len(out):,}/{len(records):,} pairs ({time.time() - started:.0f} s)")
    return out


def _derive_reachable(record: dict, derived: dict[tuple[str, str], list[TaggedToken]]) -> list[TaggedToken]:
    key = (record["source"], record["target"])
    if key not in derived:
        source, target = record["source"].split(), record["target"].split()
        tagged = derive_tags(source, target)
        derived[key] = tagged if source and apply_tags(tagged) == target else []
    return derived[key]


def _tags_to_json(tagged: list[TaggedToken]) -> list:
    return [[t.token, [t.word.anchor, t.word.offset, t.word.old, t.word.new] if isinstance(t.word, Rewrite)
             else t.word, t.mark] for t in tagged]


def _tags_from_json(items: list) -> list[TaggedToken]:
    return [TaggedToken(token, Rewrite(*word) if isinstance(word, list) else word, mark)
            for token, word, mark in items]


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def build_examples(train_file: Path, sp, max_rewrites: int, min_count: int, max_pieces: int,
                   log=print, progress_dir: Path | None = None, train_pairs: int = 0) -> tuple[TagVocab, ExampleSet, dict]:
    """Gold tags for every pair of a prepared train.jsonl, the vocabulary of their frequent rewrites and the
    encoded examples. Pairs whose tags cannot rebuild the target, and examples over max_pieces, are counted
    and left out (a truncated example would teach the end of a sentence as its middle). train_pairs > 0 uses
    only the file's leading pairs (prepared files are shuffled, so they are a sample of every origin)."""
    started = time.time()
    records = read_pairs(train_file, train_pairs)
    tagged_records, skipped = [], Counter()
    for record, tagged in zip(records, derive_all(records, progress_dir, log)):
        if not tagged:
            skipped["unreachable"] += 1
            continue
        tagged_records.append((tagged, learns_marks(record.get("origin", ""))))
    vocab = build_vocab((tagged for tagged, _ in tagged_records), max_rewrites, min_count)
    ids, word_labels, mark_labels, offsets = [], [], [], [0]
    covered = total = 0
    for tagged, learn_marks in tagged_records:
        example = encode_example(sp, vocab, tagged, learn_marks)
        if len(example.ids) > max_pieces:
            skipped["over_max_pieces"] += 1
            continue
        ids.append(example.ids.astype(np.uint16))
        word_labels.append(example.word_labels.astype(np.int16))
        mark_labels.append(example.mark_labels.astype(np.int8))
        offsets.append(offsets[-1] + len(example.ids))
        edits = [t for t in tagged if t.word != KEEP]
        total += len(edits)
        covered += sum(vocab.word_id(t.word) is not None for t in edits)
    examples = ExampleSet(np.concatenate(ids), np.concatenate(word_labels), np.concatenate(mark_labels),
                          np.array(offsets, dtype=np.int64))
    summary = {"pairs": len(records), "examples": len(examples), "pieces": int(offsets[-1]),
               "skipped": dict(skipped), "word_tags": len(vocab), "word_edits": total,
               "word_edits_in_vocab": covered, "seconds": round(time.time() - started, 1)}
    return vocab, examples, summary


def cached_examples(train_file: Path, tokenizer: Path, cache_dir: Path, max_rewrites: int, min_count: int,
                    max_pieces: int, log=print, train_pairs: int = 0) -> tuple[TagVocab, ExampleSet, dict]:
    """build_examples, stored under cache_dir/<content key>/ and reused while the inputs are unchanged. The
    derived tags stay in cache_dir/derived-<pairs key>/, chunk by chunk: a killed build resumes there, and a
    build of the same pairs with another vocabulary or sample size reads them instead of aligning again."""
    import sentencepiece as spm

    folder = cache_dir / examples_key(train_file, tokenizer, max_rewrites, min_count, max_pieces, train_pairs)
    if (folder / "summary.json").exists():
        summary = json.loads((folder / "summary.json").read_text())
        return TagVocab.load(folder / "tags.json"), ExampleSet.load(folder / "examples.npz"), summary
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    progress = cache_dir / f"derived-{pairs_key(train_file)}"
    progress.mkdir(parents=True, exist_ok=True)
    vocab, examples, summary = build_examples(train_file, sp, max_rewrites, min_count, max_pieces, log, progress,
                                              train_pairs)
    folder.mkdir(parents=True, exist_ok=True)
    vocab.save(folder / "tags.json")
    examples.save(folder / "examples.npz")
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"examples: {json.dumps(summary)}")
    return vocab, examples, summary


def reachable(tagged: list[TaggedToken], target: list[str]) -> bool:
    return apply_tags(tagged) == target


__all__ = ["DELETE", "IGNORE", "JOIN", "KEEP", "Example", "ExampleSet", "build_examples", "build_vocab",
           "cached_examples", "derive_tags", "encode_example",
           "learns_marks", "piece_positions", "reachable", "read_pairs", "token_pieces"]
