"""Nahawi's desktop editor (PySide6): a thin shell over `nahawi.engine` that checks Arabic as you type.

Modules: `main` (the `nahawi-app` command), `window` (wiring and the document's life), `editor` (the text
widget and find bar), `worker` (checking off the GUI thread), `highlight` (underlines and accepting edits),
`card` and `panel` (issue card, issue list, notices), `actions` (menus and shortcuts), `settings`, `files`
(UTF-8 I/O, atomic save, autosave), `strings` (Arabic/English UI text) and `bench` (a typing-latency probe).
Importing this package does not import Qt; the modules do. Never imports the language server.
"""
