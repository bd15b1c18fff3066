"""Nahawi: Arabic grammatical error correction. The core never imports torch, Qt or pygls."""
from nahawi.contract import Correction, Edit, apply_edits
from nahawi.errors import NahawiError

__version__ = "0.1.0"
__all__ = ["Correction", "Edit", "NahawiError", "__version__", "apply_edits"]
