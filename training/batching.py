"""Encoded pair storage and length-bucketed, resumable batch order.

The encoding cache holds tensors and plain containers only, so it loads with `weights_only=True`; it is
keyed by the content of the pairs and the tokenizer and by the length limit, and the key is stored inside
and checked, so a cache left by other data, another tokenizer or anyone else is rebuilt, not used.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from nahawi.errors import ModelError
from training.checkpoint import safe_load, save_atomically

CACHE_FORMAT = 2  # 2: flat int32 tensors + lengths (1: lists of numpy arrays, which need unpickling code)


def cache_key(jsonl: Path, sp, max_len: int, target_pieces: str = "sentencepiece") -> str:
    """sha256 over the pairs file, the tokenizer model and the settings that change the encoding."""
    digest = hashlib.sha256()
    digest.update(jsonl.read_bytes())
    digest.update(sp.serialized_model_proto())
    settings = {"format": CACHE_FORMAT, "max_len": max_len}
    if target_pieces != "sentencepiece":  # the default leaves the keys of older caches as they were
        settings["target_pieces"] = target_pieces
    digest.update(json.dumps(settings).encode())
    return digest.hexdigest()


def encode_pairs(jsonl: Path, sp, max_len: int, cache_dir: Path,
                 target_pieces: str = "sentencepiece") -> tuple[list[np.ndarray], list[np.ndarray], dict]:
    """Encode `source`/`target` of every record once (cached by content and configuration); skip over-long
    pairs and count them. report["cache"] says whether the cache was used, written, or rebuilt and why.
    target_pieces: how targets are cut into pieces (training.segmentation)."""
    key = cache_key(jsonl, sp, max_len, target_pieces)
    cache = cache_dir / f"encoded-{key[:16]}.pt"
    note = f"encoded and cached in {cache.name}"
    if cache.exists():
        try:
            sources, targets, report = read_cache(cache, key)
            return sources, targets, dict(report, cache=f"read from {cache.name}")
        except ModelError as error:
            note = f"re-encoded: {error}"
    sources, targets, report = _encode(jsonl, sp, max_len, target_pieces)
    save_atomically({"key": key, **_flat("src", sources), **_flat("tgt", targets), "report": report}, cache)
    return sources, targets, dict(report, cache=note)


def read_cache(path: Path, key: str) -> tuple[list[np.ndarray], list[np.ndarray], dict]:
    """The pairs of a cache file; ModelError when it cannot be read safely or belongs to other data."""
    blob = safe_load(path)
    if not isinstance(blob, dict) or blob.get("key") != key:
        raise ModelError(f"{path}: not the cache of this data, tokenizer and length limit")
    try:
        report = {"pairs": int(blob["report"]["pairs"]), "too_long": int(blob["report"]["too_long"])}
        sources, targets = _unflat(blob, "src"), _unflat(blob, "tgt")
        if len(sources) != len(targets):
            raise ValueError(f"{len(sources)} sources but {len(targets)} targets")
        return sources, targets, report
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"{path}: malformed encoding cache ({error})") from None


def _encode(jsonl: Path, sp, max_len: int, target_pieces: str) -> tuple[list[np.ndarray], list[np.ndarray], dict]:
    from training.segmentation import TargetPieces

    encode_target = TargetPieces(sp, target_pieces).encode
    sources, targets, report = [], [], {"pairs": 0, "too_long": 0}
    with jsonl.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            report["pairs"] += 1
            src, tgt = sp.encode(record["source"]), encode_target(record["source"], record["target"])
            if len(src) + 1 > max_len or len(tgt) + 2 > max_len:
                report["too_long"] += 1  # prepare segments to fit; anything left is reported, not cut
                continue
            sources.append(np.asarray(src, dtype=np.int32))
            targets.append(np.asarray(tgt, dtype=np.int32))
    return sources, targets, report


def _flat(name: str, arrays: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """One int32 tensor of all ids (N,) and one of the sequence lengths (count,)."""
    ids = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
    return {name: torch.from_numpy(ids.astype(np.int32)),
            f"{name}_lengths": torch.tensor([len(a) for a in arrays], dtype=torch.int64)}


def _unflat(blob: dict, name: str) -> list[np.ndarray]:
    ids, lengths = blob[name], blob[f"{name}_lengths"]
    if not (isinstance(ids, torch.Tensor) and isinstance(lengths, torch.Tensor)) or ids.dtype != torch.int32 \
            or ids.dim() != 1 or lengths.dim() != 1 or int(lengths.sum()) != ids.numel() or bool((lengths < 0).any()):
        raise ValueError(f"{name} ids and lengths do not agree")
    return np.split(ids.numpy(), np.cumsum(lengths.numpy())[:-1]) if lengths.numel() else []


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
