"""nahawi-lsp: the Nahawi language server (pygls), a thin shell over `nahawi.engine`.

Modules: `main` (the `nahawi-lsp` entry point), `handlers` (LSP methods → server), `server` (state,
checking, publishing), `settings`, `markdown` (prose ranges), `documents` (per-document incremental
state), `engine_host` (the engine on its worker thread), `diagnostics` (edits → diagnostics), `actions`
(code actions), `dictionary` (the user's word list), `bench` (latency benchmark over stdio). Importing
this package imports nothing heavy.
"""
from nahawi import __version__

__all__ = ["__version__"]
