"""The sentences static int8 is calibrated on (the tagger's graph, the seq2seq's encoder and decoder): the
built-in Arabic sentences, or the first lines of a file (text, or prepared JSONL by its "source")."""
from __future__ import annotations

import contextlib
import itertools
import json
from pathlib import Path

from nahawi.errors import InputError
from nahawi.model_dir import sha256_file


def calibration_texts(path: Path | None, lines: int) -> tuple[list[str], dict]:
    """(sentences, how model.json names them). Default: the built-in Arabic sentences, alone and joined in
    pairs with punctuation (training-like lengths)."""
    if lines < 1:
        raise InputError(f"--calibration-lines must be >= 1, got {lines}")
    if path is None:
        from export.fixtures import SENTENCES

        texts = [*SENTENCES, *(f"{a} ، {b} ." for a, b in itertools.pairwise(SENTENCES))]
        return texts, {"source": "built-in", "sentences": len(texts)}
    texts = []
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                text = _calibration_line(line.strip())
                if text:
                    texts.append(text)
                if len(texts) >= lines:
                    break
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the calibration file {path}: {error}") from error
    if not texts:
        raise InputError(f"{path}: no sentences to calibrate with")
    return texts, {"source": path.name, "sha256": sha256_file(path), "sentences": len(texts)}


def _calibration_line(line: str) -> str:
    """A text line as is; a JSONL record (prepared training data) by its "source"."""
    if line.startswith("{"):
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            return str(record.get("source", "")) if isinstance(record, dict) else line
    return line
