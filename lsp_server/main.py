"""`nahawi-lsp`: start the language server on stdio (default) or TCP.

Thin entry point: parses options, sets up logging (a file with --log-file, else warnings to stderr;
stdout belongs to the protocol) and starts the server. Below DEBUG the log carries no document text: pygls
logs every message it sends (diagnostics quote the text) at INFO, so its loggers stay at WARNING unless
DEBUG is asked for; the log file is created 0600. pygls is imported only here, with a clear
message when the `lsp` extra is missing.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from nahawi import __version__
from nahawi.errors import MissingExtraError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nahawi-lsp", description="Nahawi (نحوي) Arabic grammar language server.")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument("--tcp", nargs=2, metavar=("HOST", "PORT"), help="listen for one client on HOST PORT")
    parser.add_argument("--log-file", help="write the server log to this file")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="log level for --log-file; only DEBUG records document text (stderr always gets "
                             "warnings and errors)")
    parser.add_argument("--version", action="version", version=f"nahawi-lsp {__version__}")
    args = parser.parse_args(argv)
    if args.tcp is not None:
        try:
            args.port = int(args.tcp[1])
        except ValueError:
            parser.error(f"--tcp PORT must be an integer, got {args.tcp[1]!r}")
    return args


def _logging(log_file: str | None, level: str) -> None:
    handlers: list[logging.Handler] = []
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    handlers.append(stderr)
    if log_file:
        os.close(os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(level=getattr(logging, level) if log_file else logging.WARNING, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pygls").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _logging(args.log_file, args.log_level)
    try:
        from lsp_server.handlers import build_server
    except ImportError as error:
        print(f"nahawi-lsp: error: {MissingExtraError('lsp', error.name or 'pygls')}", file=sys.stderr)
        sys.exit(2)
    server = build_server()
    if args.tcp is not None:
        server.start_tcp(args.tcp[0], args.port)
    else:
        server.start_io()


if __name__ == "__main__":
    main()
