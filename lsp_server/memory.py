"""What the user chose to keep across sessions: findings ignored ("ignore here") and kinds disabled.

Owns one small JSON file beside the dictionary it goes with (`ignored.json` in the user's nahawi folder, or
in a workspace folder's `.nahawi/` when `dictionaryScope` is "workspace"): `{"disabledKinds": [...],
"ignored": [[sentence, start, end, replacement], ...]}`. The user's file is 0600 in a 0700 folder like the
dictionary (it quotes their sentences); an unreadable or malformed file is reported and treated as empty.
Knows nothing of LSP or models.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from lsp_server.dictionary import PRIVATE_DIR, PRIVATE_FILE

log = logging.getLogger("nahawi.lsp")

FILE_NAME = "ignored.json"
MAX_IGNORED = 10_000  # the oldest ignored findings are forgotten beyond this


class Memory:
    def __init__(self, path: Path, private: bool):
        self.path, self.private = path, private
        self.disabled: set[str] = set()
        self.ignored: set[tuple] = set()

    def load(self) -> str | None:
        """Read the file; returns a problem to show, or None."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
            disabled = {k for k in data.get("disabledKinds", []) if isinstance(k, str)}
            ignored = {tuple(i) for i in data.get("ignored", []) if _is_key(i)}
        except (OSError, ValueError, AttributeError, TypeError) as error:
            return f"{self.path}: {getattr(error, 'strerror', None) or type(error).__name__}"
        self.disabled, self.ignored = disabled, ignored
        return None

    def disable(self, kind: str) -> None:
        self.disabled.add(kind)
        self._save()

    def ignore(self, key: tuple) -> None:
        self.ignored.add(key)
        self._save()

    def _save(self) -> None:
        ignored = sorted(self.ignored)[-MAX_IGNORED:]
        body = json.dumps({"disabledKinds": sorted(self.disabled), "ignored": [list(k) for k in ignored]},
                          ensure_ascii=False, indent=1)
        folder = self.path.parent
        folder.mkdir(mode=PRIVATE_DIR if self.private else 0o777, parents=True, exist_ok=True)
        temporary = folder / f".{FILE_NAME}.{os.getpid()}"
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE if self.private else 0o666),
                  "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
        os.replace(temporary, self.path)
        log.info("saved %d ignored findings and %d disabled kinds to %s", len(ignored), len(self.disabled), self.path)


def _is_key(item) -> bool:
    return (isinstance(item, list) and len(item) == 4 and isinstance(item[0], str) and isinstance(item[3], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in item[1:3]))
