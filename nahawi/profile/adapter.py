"""A writer's adapter on the edit tagger: low-rank corrections to its two heads, learned from the writer.

The tagger's heads read the encoder's states h (the graph's `hidden` output). The adapter adds
scale · up(down(h)) to a head's logits — LoRA of rank r on the head's projection — so a head's
probabilities become softmax(log p + shift): with `up` at zero it is the shipped tagger exactly. It is
fitted in numpy (`nahawi.profile.adapter_fit`) from the writer's decisions and documents, kept in the
profile as adapter.npz (plain arrays and a JSON string, read without pickle), bound to the tagger it was
fitted on (the sha256 of its graph), and forgotten by deleting the file. Knows nothing of the engine.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nahawi.profile.store import MAX_FILE_BYTES, ProfileError, write_private_bytes

ADAPTER_FORMAT = "nahawi-tagger-adapter/1"
HEADS = ("word", "mark")
MAX_RANK = 64


@dataclass(frozen=True)
class HeadAdapter:
    down: np.ndarray  # (rank, d): the states projected to the rank
    up: np.ndarray  # (classes, rank): back to the head's classes (zero: no change)
    scale: float  # alpha / rank

    def shift(self, hidden: np.ndarray) -> np.ndarray:
        """hidden (..., d) -> the logit shift (..., classes)."""
        return self.scale * ((hidden @ self.down.T) @ self.up.T)

    def apply(self, probs: np.ndarray, hidden: np.ndarray) -> np.ndarray:
        """The head's probabilities (..., classes) with the shift added to their logits."""
        return softmax(np.log(np.maximum(probs, 1e-30)) + self.shift(hidden))


@dataclass(frozen=True)
class TaggerAdapter:
    word: HeadAdapter
    mark: HeadAdapter
    tagger_sha256: str  # the tagger graph it was fitted on: another graph's states mean nothing to it
    info: dict = field(default_factory=dict)  # how it was fitted (examples, steps, losses): for the writer to read

    def apply(self, word_probs: np.ndarray, mark_probs: np.ndarray, word_hidden: np.ndarray,
              mark_hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Word probabilities at first pieces and mark probabilities at last pieces, adapted (their states)."""
        return self.word.apply(word_probs, word_hidden), self.mark.apply(mark_probs, mark_hidden)

    def save(self, path: Path) -> None:
        """adapter.npz written atomically and private (nahawi.profile.store.write_private's rules)."""
        buffer = io.BytesIO()
        meta = {"format": ADAPTER_FORMAT, "tagger_sha256": self.tagger_sha256, "info": self.info,
                "scales": {name: getattr(self, name).scale for name in HEADS}}
        arrays = {f"{name}_{part}": getattr(getattr(self, name), part).astype(np.float32)
                  for name in HEADS for part in ("down", "up")}
        np.savez(buffer, meta=np.array(json.dumps(meta, ensure_ascii=False)), **arrays)
        write_private_bytes(path, buffer.getvalue())


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(-1, keepdims=True)


def load_adapter(path: Path) -> TaggerAdapter | None:
    """The profile's adapter, checked (None when there is none). A file that is not one (not a zip of plain
    arrays, an object array that would need unpickling, wrong shapes, non-finite numbers) is a ProfileError."""
    if not path.exists():
        return None
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ProfileError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB; not an adapter")
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except ProfileError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ProfileError(f"{path}: not a readable adapter ({error})") from None
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (KeyError, json.JSONDecodeError):
        raise ProfileError(f"{path}: not an adapter (no readable meta record)") from None
    if not isinstance(meta, dict) or meta.get("format") != ADAPTER_FORMAT:
        raise ProfileError(f"{path}: not a {ADAPTER_FORMAT} file")
    heads = {name: _head(arrays, name, meta, path) for name in HEADS}
    if heads["word"].down.shape[1] != heads["mark"].down.shape[1]:
        raise ProfileError(f"{path}: the two heads read states of different widths")
    sha = meta.get("tagger_sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        raise ProfileError(f"{path}: no tagger checksum; the adapter cannot be matched to a model")
    info = meta.get("info") if isinstance(meta.get("info"), dict) else {}
    return TaggerAdapter(heads["word"], heads["mark"], sha, info)


def _head(arrays: dict, name: str, meta: dict, path: Path) -> HeadAdapter:
    down, up = arrays.get(f"{name}_down"), arrays.get(f"{name}_up")
    scale = meta.get("scales", {}).get(name) if isinstance(meta.get("scales"), dict) else None
    if down is None or up is None or not isinstance(scale, (int, float)) or not np.isfinite(scale):
        raise ProfileError(f"{path}: the {name} head's arrays or scale are missing")
    if down.ndim != 2 or up.ndim != 2 or up.shape[1] != down.shape[0] or not 1 <= down.shape[0] <= MAX_RANK:
        raise ProfileError(f"{path}: the {name} head's arrays have the wrong shapes {down.shape} and {up.shape}")
    if down.dtype != np.float32 or up.dtype != np.float32 or not (np.isfinite(down).all() and np.isfinite(up).all()):
        raise ProfileError(f"{path}: the {name} head's arrays are not finite float32 numbers")
    return HeadAdapter(down, up, float(scale))
