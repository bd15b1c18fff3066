"""Training examples for the edit tagger: gold tags of source/target pairs (`nahawi.tag_derive`), the tag
vocabulary, and pieces for the network.

The vocabulary keeps the frequent rewrites, and a token whose rewrite is out of vocabulary teaches nothing
(its label is ignored). Knows nothing of the network or of the training loop.
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

from nahawi.tag_derive import derive_tags
from nahawi.tags import DELETE, JOIN, KEEP, Rewrite, TaggedToken, TagVocab, apply_tags

IGNORE = -100  # label the loss skips


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


MARK_ORIGINS = ("real", "punct")


def learns_marks(origin: str, mark_origins: tuple[str, ...] = MARK_ORIGINS) -> bool:
    """Real pairs keep the writers' and annotators' punctuation, and punctuation-restoration pairs the
    corpus's marks; the others had it stripped on both sides, so their (absent) marks teach nothing about
    where marks go. `mark_origins` narrows it (("real",): only the annotators' convention is taught)."""
    return origin in mark_origins


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
                 train_pairs: int = 0, mark_origins: tuple[str, ...] = MARK_ORIGINS,
                 vocab: TagVocab | None = None) -> str:
    digest = hashlib.sha256(Path(tokenizer).read_bytes())
    digest.update(pairs_key(train_file).encode())
    digest.update(f"{max_rewrites}:{min_count}:{max_pieces}:{IGNORE}".encode())
    if train_pairs:
        digest.update(f"pairs:{train_pairs}".encode())
    if tuple(mark_origins) != MARK_ORIGINS:
        digest.update(f"marks:{','.join(mark_origins)}".encode())
    if vocab is not None:
        digest.update(json.dumps(vocab.to_json(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:16]


DERIVE_CHUNK = 25_000  # pairs whose derived tags are saved together (the unit of resuming)


def derive_all(records: list[dict], progress_dir: Path | None = None, log=print,
               workers: int = 1) -> list[list[TaggedToken]]:
    """Gold tags of every record ([] where they cannot rebuild its target). The alignment takes about an
    hour on one core, so with progress_dir each chunk of DERIVE_CHUNK pairs is saved there as it is done and
    read back by a later run instead of being derived again; workers > 1 derives missing chunks in that many
    processes (the result is the same: derivation is deterministic)."""
    started = time.time()
    chunks = [records[first:first + DERIVE_CHUNK] for first in range(0, len(records), DERIVE_CHUNK)]
    saved = [progress_dir / f"tags-{index:04d}.jsonl" if progress_dir else None for index in range(len(chunks))]
    done: dict[int, list[list[TaggedToken]]] = {}
    for index, (chunk, path) in enumerate(zip(chunks, saved)):
        lines = path.read_text("utf-8").splitlines() if path is not None and path.exists() else []
        if len(lines) >= len(chunk):  # a chunk saved whole also serves a run that reads fewer pairs
            done[index] = [_tags_from_json(json.loads(line)) for line in lines[:len(chunk)]]
    missing = [index for index in range(len(chunks)) if index not in done]
    if workers > 1 and len(missing) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, len(missing))) as pool:
            for index, tagged_chunk in zip(missing, pool.map(_derive_chunk, [chunks[i] for i in missing],
                                                             [saved[i] for i in missing])):
                done[index] = tagged_chunk
                log(f"tags: chunk {index + 1}/{len(chunks)} derived ({time.time() - started:.0f} s)")
    out: list[list[TaggedToken]] = []
    for index in range(len(chunks)):
        if index not in done:
            done[index] = _derive_chunk(chunks[index], saved[index])
        out += done.pop(index)
        log(f"tags: {len(out):,}/{len(records):,} pairs ({time.time() - started:.0f} s)")
    return out


def _derive_chunk(chunk: list[dict], saved: Path | None) -> list[list[TaggedToken]]:
    derived: dict[tuple[str, str], list[TaggedToken]] = {}  # real pairs are upsampled: derive each once
    tagged_chunk = [_derive_reachable(record, derived) for record in chunk]
    if saved is not None:
        _write_atomically(saved, "".join(json.dumps(_tags_to_json(t), ensure_ascii=False) + "\n"
                                         for t in tagged_chunk))
    return tagged_chunk


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
                   log=print, progress_dir: Path | None = None, train_pairs: int = 0, workers: int = 1,
                   mark_origins: tuple[str, ...] = MARK_ORIGINS,
                   vocab: TagVocab | None = None) -> tuple[TagVocab, ExampleSet, dict]:
    """Gold tags for every pair of a prepared train.jsonl, the vocabulary of their frequent rewrites and the
    encoded examples. Pairs whose tags cannot rebuild the target, and examples over max_pieces, are counted
    and left out (a truncated example would teach the end of a sentence as its middle). train_pairs > 0 uses
    only the file's leading pairs (prepared files are shuffled, so they are a sample of every origin). A given
    `vocab` (a trained tagger's) is used as it is: rewrites outside it are not taught."""
    started = time.time()
    records = read_pairs(train_file, train_pairs)
    tagged_records, skipped = [], Counter()
    for record, tagged in zip(records, derive_all(records, progress_dir, log, workers)):
        if not tagged:
            skipped["unreachable"] += 1
            continue
        tagged_records.append((tagged, learns_marks(record.get("origin", ""), tuple(mark_origins))))
    if vocab is None:
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
                    max_pieces: int, log=print, train_pairs: int = 0, workers: int = 1,
                    mark_origins: tuple[str, ...] = MARK_ORIGINS,
                    vocab: TagVocab | None = None) -> tuple[TagVocab, ExampleSet, dict]:
    """build_examples, stored under cache_dir/<content key>/ and reused while the inputs are unchanged. The
    derived tags stay in cache_dir/derived-<pairs key>/, chunk by chunk: a killed build resumes there, and a
    build of the same pairs with another vocabulary or sample size reads them instead of aligning again."""
    import sentencepiece as spm

    folder = cache_dir / examples_key(train_file, tokenizer, max_rewrites, min_count, max_pieces, train_pairs,
                                      mark_origins, vocab)
    if (folder / "summary.json").exists():
        summary = json.loads((folder / "summary.json").read_text())
        return TagVocab.load(folder / "tags.json"), ExampleSet.load(folder / "examples.npz"), summary
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    progress = cache_dir / f"derived-{pairs_key(train_file)}"
    progress.mkdir(parents=True, exist_ok=True)
    vocab, examples, summary = build_examples(train_file, sp, max_rewrites, min_count, max_pieces, log, progress,
                                              train_pairs, workers, mark_origins, vocab)
    folder.mkdir(parents=True, exist_ok=True)
    vocab.save(folder / "tags.json")
    examples.save(folder / "examples.npz")
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"examples: {json.dumps(summary)}")
    return vocab, examples, summary


def reachable(tagged: list[TaggedToken], target: list[str]) -> bool:
    return apply_tags(tagged) == target


__all__ = ["DELETE", "IGNORE", "JOIN", "KEEP", "MARK_ORIGINS", "Example", "ExampleSet", "build_examples", "build_vocab",
           "cached_examples", "derive_tags", "encode_example",
           "learns_marks", "piece_positions", "reachable", "read_pairs", "token_pieces"]
