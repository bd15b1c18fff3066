"""Encoded pair storage and length-bucketed, resumable batch order."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from training.checkpoint import save_atomically


def encode_pairs(jsonl: Path, sp, max_len: int, cache_dir: Path) -> tuple[list[np.ndarray], list[np.ndarray], dict]:
    """Encode `source`/`target` of every record once (cached by file hash); skip over-long pairs and count them."""
    digest = hashlib.sha256(jsonl.read_bytes()).hexdigest()[:16]
    cache = cache_dir / f"encoded-{digest}-{sp.vocab_size()}-{max_len}.pt"
    if cache.exists():
        blob = torch.load(cache, weights_only=False)
        return blob["src"], blob["tgt"], blob["report"]
    sources, targets, report = [], [], {"pairs": 0, "too_long": 0}
    with jsonl.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            report["pairs"] += 1
            src, tgt = sp.encode(record["source"]), sp.encode(record["target"])
            if len(src) + 1 > max_len or len(tgt) + 2 > max_len:
                report["too_long"] += 1  # prepare segments to fit; anything left is reported, not cut
                continue
            sources.append(np.asarray(src, dtype=np.int32))
            targets.append(np.asarray(tgt, dtype=np.int32))
    save_atomically({"src": sources, "tgt": targets, "report": report}, cache)
    return sources, targets, report


def epoch_batches(lengths: np.ndarray, max_tokens: int, seed: int, epoch: int) -> list[np.ndarray]:
    """Shuffle, sort within windows of 100 batches by length, cut by token budget, shuffle batch order."""
    rng = np.random.default_rng(seed + epoch)
    order = rng.permutation(len(lengths))
    batches, window = [], max(1, 100 * max_tokens // max(1, int(lengths.mean())))
    for start in range(0, len(order), window):
        chunk = order[start:start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        current, longest = [], 0
        for index in chunk:
            longest_next = max(longest, int(lengths[index]))
            if current and longest_next * (len(current) + 1) > max_tokens:
                batches.append(np.asarray(current))
                current, longest_next = [], int(lengths[index])
            current.append(index)
            longest = longest_next
        if current:
            batches.append(np.asarray(current))
    rng.shuffle(batches)
    return batches


def collate(indices: np.ndarray, sources: list[np.ndarray], targets: list[np.ndarray],
            pad: int, bos: int, eos: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-> src (B, S) ids + eos, decoder input (B, T) bos + ids, labels (B, T) ids + eos."""
    src = [np.append(sources[i], eos) for i in indices]
    tgt = [targets[i] for i in indices]
    batch = len(indices)
    src_ids = torch.full((batch, max(map(len, src))), pad, dtype=torch.long)
    dec_in = torch.full((batch, max(map(len, tgt)) + 1), pad, dtype=torch.long)
    labels = torch.full_like(dec_in, pad)
    for row, (s, t) in enumerate(zip(src, tgt)):
        src_ids[row, :len(s)] = torch.from_numpy(s.astype(np.int64))
        dec_in[row, 0] = bos
        dec_in[row, 1:len(t) + 1] = torch.from_numpy(t.astype(np.int64))
        labels[row, :len(t)] = torch.from_numpy(t.astype(np.int64))
        labels[row, len(t)] = eos
    return src_ids, dec_in, labels
