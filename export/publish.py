"""Put staged files into a model directory without a moment in which a file is missing or half written.

Files are renamed from a staging folder inside the model directory (same file system: each rename is
atomic), model.json last, so a reader sees either the old directory or the new one named by model.json. On
an OS error the files already renamed are put back. Knows nothing of what the files are.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from nahawi.errors import ModelError


def publish(staging: Path, directory: Path, names: Sequence[str], what: str) -> None:
    """Rename staged files into directory in order (model.json last); on an OS error, put back what was there."""
    backup = staging / "previous"
    backup.mkdir()
    done: list[str] = []
    try:
        for name in names:
            target = directory / name
            if target.exists():
                try:
                    os.link(target, backup / name)  # no moment without the file
                except OSError:
                    shutil.copy2(target, backup / name)
            done.append(name)
            os.replace(staging / name, target)
    except OSError as error:
        for name in reversed(done):
            (directory / name).unlink(missing_ok=True)
            if (backup / name).exists():
                os.replace(backup / name, directory / name)
        raise ModelError(f"cannot write {what} into {directory}: {error}") from error
