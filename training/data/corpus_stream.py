"""The clean corpus as one stream of SentencePiece ids, for self-supervised pretraining.

Owns reading the corpus files the way every encoder-training step should see them: benchmark
punctuation tokenisation (`كلمة ، كلمة`, what the engine feeds its models) and the news' hamza seat
before و (`مسؤول`, not the books' Cairo `مسئول`, see ../shared/corpus/README.md). The stream is written
once as a flat `uint16` array (paragraphs separated by eos) and memory-mapped; the last paragraphs of
each file form a held-out stream for validation. Knows nothing about masking or models.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nahawi.errors import InputError
from training.data.readers import iter_monolingual

HAMZA_SEAT_FILE = "hindawi_hamza_seat_variants.tsv"
BOOKS = "hindawi_books.txt.gz"


@dataclass(frozen=True)
class StreamConfig:
    files: tuple[str, ...] = ("saudinewsnet.txt.gz", "ant_news.txt.gz", "hindawi_books.txt.gz", "cca.txt.gz",
                              "mawdoo3_stories.txt.gz")  # corpus files, all by default
    held_out: int = 300  # last paragraphs of each file kept for validation
    max_paragraphs: int = 0  # per file, 0 = all (small values for tests)
    news_hamza_seats: bool = True  # rewrite the books' Cairo hamza seats (مسئول) to the news' (مسؤول)

    @classmethod
    def from_dict(cls, values: dict) -> StreamConfig:
        return cls(**{**values, "files": tuple(values.get("files", cls.files))})


def hamza_seat_map(corpus_root: Path) -> dict[str, str]:
    """Book spelling → news spelling for the word types whose hamza seat the two conventions disagree on,
    kept only where the news prefer their form."""
    path = corpus_root / HAMZA_SEAT_FILE
    if not path.exists():
        return {}
    mapping = {}
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows, None)
        for row in rows:
            book_form, news_form, news_count, news_count_of_book_form = row[0], row[2], int(row[3]), int(row[4])
            if news_count > news_count_of_book_form:
                mapping[book_form] = news_form
    return mapping


_WORD = re.compile(r"\S+")


def rewrite_words(text: str, mapping: dict[str, str]) -> str:
    if not mapping:
        return text
    return _WORD.sub(lambda m: mapping.get(m.group(), m.group()), text)


def iter_corpus_paragraphs(corpus_root: Path, config: StreamConfig):
    """(file name, paragraph) in benchmark tokenisation, with the news hamza seats where asked."""
    from nahawi.text import tokenize_punct

    seats = hamza_seat_map(corpus_root) if config.news_hamza_seats else {}
    for name in config.files:
        mapping = seats if name == BOOKS else {}
        for k, paragraph in enumerate(iter_monolingual(corpus_root / name)):
            if config.max_paragraphs and k >= config.max_paragraphs:
                break
            yield name, rewrite_words(tokenize_punct(paragraph), mapping)


def stream_key(corpus_root: Path, tokenizer: Path, config: StreamConfig) -> str:
    """Content key of a stream: the tokenizer's bytes, the config and each corpus file's size and mtime."""
    digest = hashlib.sha256(Path(tokenizer).read_bytes())
    digest.update(json.dumps(asdict(config), sort_keys=True).encode())
    for name in config.files:
        stat = (corpus_root / name).stat()
        digest.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def build_stream(corpus_root: Path, tokenizer: Path, out_dir: Path, config: StreamConfig, log=print) -> dict:
    """Encode the corpus into `train.u16` / `held_out.u16` under `out_dir` (skipped when the key matches)."""
    import sentencepiece as spm

    out_dir.mkdir(parents=True, exist_ok=True)
    key = stream_key(corpus_root, tokenizer, config)
    meta_path = out_dir / "stream.json"
    if meta_path.exists() and json.loads(meta_path.read_text())["key"] == key:
        return json.loads(meta_path.read_text())
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    if sp.vocab_size() > np.iinfo(np.uint16).max:
        raise InputError(f"vocabulary of {sp.vocab_size()} does not fit the uint16 stream")
    started, eos = time.time(), sp.eos_id()
    per_file: dict[str, list[str]] = {}
    for name, paragraph in iter_corpus_paragraphs(corpus_root, config):
        per_file.setdefault(name, []).append(paragraph)
    counts = {}
    with open(out_dir / "train.u16.tmp", "wb") as train, open(out_dir / "held_out.u16.tmp", "wb") as held:
        for name, paragraphs in per_file.items():
            cut = max(0, len(paragraphs) - config.held_out)
            for handle, part in ((train, paragraphs[:cut]), (held, paragraphs[cut:])):
                for start in range(0, len(part), 20_000):
                    ids = sp.encode(part[start:start + 20_000])
                    flat = np.fromiter((i for row in ids for i in (*row, eos)), dtype=np.uint16)
                    handle.write(flat.tobytes())
            counts[name] = {"paragraphs": len(paragraphs), "words": sum(len(p.split()) for p in paragraphs)}
            log(f"stream: {name} {counts[name]['paragraphs']:,} paragraphs, {counts[name]['words']:,} words "
                f"({time.time() - started:.0f} s)")
    for part in ("train", "held_out"):
        (out_dir / f"{part}.u16.tmp").replace(out_dir / f"{part}.u16")
    meta = {"key": key, "config": asdict(config), "tokenizer": str(tokenizer), "files": counts,
            "train_tokens": (out_dir / "train.u16").stat().st_size // 2,
            "held_out_tokens": (out_dir / "held_out.u16").stat().st_size // 2,
            "seconds": round(time.time() - started, 1)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def open_stream(out_dir: Path, part: str = "train") -> np.ndarray:
    path = out_dir / f"{part}.u16"
    if not path.exists():
        raise InputError(f"{path} not found: build the stream first")
    return np.memmap(path, dtype=np.uint16, mode="r")
