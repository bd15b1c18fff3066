"""Training allocates tensors of ever-changing shapes (each batch has its own width). glibc keeps freed blocks
in its heap and raises its own mapping threshold as it goes, so the heap fragments: a tagger run held 11–12 GB
after an hour and the kernel ended a pretraining run for memory. Blocks over a megabyte are mapped and given
back to the system when freed instead (measured: a tagger stage held ~2.1 GB where it had grown past 8 GB)."""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
LARGE_BLOCK = 1 << 20


def map_large_blocks(threshold: int = LARGE_BLOCK) -> bool:
    """Ask glibc to map every block of at least `threshold` bytes; False where that is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):
        return False
