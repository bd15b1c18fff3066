"""Keeping CPython's cycle collector from stalling the GUI while a long document's edits are alive.

Owns when the collector may look at the large, short-lived-but-not-young allocations of a long check. A
5 MB document has about 150,000 edits, remade (placed in the whole text) at every revision: left to itself
the collector ran a full pass over all of them about twice a second, 30–75 ms each on the check's thread,
and a pass holds the GIL, so the GUI thread stood still as long. `quiet_build` wraps such an allocation:
the young generations are collected first (a few thousand objects), the collector is paused while the
edits are made, and then every object alive is moved to the permanent generation (`gc.freeze`), where no
automatic pass looks at it. Frozen objects are still freed by reference counting when the next revision
replaces them; only reference cycles that were already garbage when frozen would stay, so the frozen count
is watched and, once it passes three times its lowest since the last real full collection (plus a margin
for a long document's remembered pieces), everything is thawed and collected once (`CollectionPolicy`);
closing a window thaws it all (`thaw`). Edits and the app's issue rows hold no cycles (tested), so that
should be rare. Knows nothing of Qt, checks or documents; the core package never pauses the collector.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class CollectionPolicy:
    """When the frozen objects are thawed and collected for real."""

    growth: float = 3.0  # frozen objects may grow to this many times the count after the last real collection
    slack: int = 500_000  # plus this many: a long document's remembered pieces grow legitimately
    baseline: int = -1  # frozen objects right after the last real collection (-1: none yet)
    full_collections: int = 0  # real collections done so far (for tests and the bench)

    def after_freeze(self) -> None:
        frozen = gc.get_freeze_count()
        if self.baseline < 0 or frozen < self.baseline:  # the lowest since the last real collection
            self.baseline = frozen
        elif frozen > self.growth * self.baseline + self.slack:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.baseline = gc.get_freeze_count()
            self.full_collections += 1


_lock = threading.Lock()
_paused = 0  # quiet builds in progress (one per window's check thread)
_resume = False  # whether the collector was enabled when the first of them began


def freeze_alive() -> None:
    """Collect the young generations (a few thousand objects), then move every object alive out of the
    collector's sight (the policy is consulted at the end of a build, not here: while a long document is
    checked the first time, its edits grow legitimately)."""
    gc.collect(1)
    gc.freeze()


@contextmanager
def quiet_build(policy: CollectionPolicy) -> Iterator[None]:
    """Run the body with the collector paused, then freeze everything alive (see the module docstring)."""
    global _paused, _resume
    gc.collect(1)  # the garbage of the young generations: not frozen with the rest
    with _lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            gc.freeze()
            policy.after_freeze()
            if _paused == 0 and _resume:
                gc.enable()


def thaw() -> None:
    """Hand everything frozen back to the collector (a window closing: its document's objects may be
    garbage now, and a full pass over what is left is acceptable once)."""
    gc.unfreeze()
