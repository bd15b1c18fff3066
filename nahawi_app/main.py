"""`nahawi-app`: start the editor, or render it once to a PNG with `--screenshot` and exit.

Thin: parses options (`nahawi-app FILE`, as a file manager's "Open with" runs it; `--model` and `--lang`
apply to this run and are never saved), creates (or reuses) the QApplication, builds the window and runs the
event loop.
`--screenshot OUT.png` opens the file, waits until its check has finished (or the model failed), saves the
window as a PNG and returns without user interaction or autosave recovery. Returns an exit code.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

SCREENSHOT_TIMEOUT_S = 120.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nahawi-app", description="Nahawi: Arabic writing editor with checking.")
    parser.add_argument("file", nargs="?", metavar="FILE", help="open this .txt or .md file (as a file manager's "
                                                                 "\"Open with\" passes it)")
    parser.add_argument("--open", dest="open_file", metavar="FILE", help="open this .txt or .md file")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the window with the file checked, then exit")
    parser.add_argument("--model", metavar="DIR", help="model directory for this run (default: the one in "
                                                        "settings, else the bundled model); not saved")
    parser.add_argument("--lang", choices=("ar", "en"), help="interface language for this run; not saved")
    parser.add_argument("--settings", metavar="FILE.ini", help="keep settings in this INI file instead of the "
                                                               "user's settings")
    parser.add_argument("--data-dir", metavar="DIR", help="folder for autosave records (default: the app data "
                                                          "folder)")
    args = parser.parse_args(argv)
    if args.file and args.open_file:
        parser.error("give the file once: FILE or --open FILE")
    args.open_file = args.open_file or args.file
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError:
        print("nahawi-app: error: the editor needs the 'app' extra: pip install 'nahawi[app]'", file=sys.stderr)
        return 2
    from nahawi_app.settings import SettingsStore
    from nahawi_app.window import MainWindow
    from nahawi_app.worker import wait_for_workers

    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM") and QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no display
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName("Nahawi")
    app.setApplicationName("nahawi-app")
    store = SettingsStore(args.settings)
    settings, run_only = store.load(), {}
    scratch = None
    if args.screenshot:  # look, don't touch: the user's settings and autosave folder stay as they are
        scratch = tempfile.TemporaryDirectory(prefix="nahawi-app-")
        store = SettingsStore(Path(scratch.name) / "settings.ini")
        args.data_dir = args.data_dir or scratch.name
    if args.model:
        run_only["model_dir"] = str(Path(args.model).absolute())
    if args.lang:
        run_only["language"] = args.lang
    window = MainWindow(store, settings=settings, data_dir=args.data_dir,
                        offer_recovery=not args.screenshot, run_only=run_only)
    if args.open_file and not window.open_path(args.open_file) and args.screenshot:
        print(f"nahawi-app: error: could not open {args.open_file}", file=sys.stderr)
    window.show()
    if args.screenshot:
        code = take_screenshot(app, window, Path(args.screenshot))
        scratch.cleanup()
    else:
        code = app.exec()
    wait_for_workers()  # the window is gone: only a check's last piece is left to finish
    return code


def wait_for_check(app, window, timeout_s: float = SCREENSHOT_TIMEOUT_S) -> bool:
    """Process events until the model has loaded (or failed) and the current text is checked."""
    window.controller.check_now()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        state = window.controller.state
        if state == "no_model" or (state in ("checked", "failed") and not window.controller.busy):
            return True
        if state == "waiting" and window.info is not None and not window.controller.busy:
            window.controller.check_now()
        time.sleep(0.01)
    return False


def take_screenshot(app, window, out: Path) -> int:
    finished = wait_for_check(app, window)
    for _ in range(5):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    saved = window.grab().save(str(out), "PNG")
    window.editor.document().setModified(False)  # nothing to save: the screenshot only looked
    window.close()
    if not saved:
        print(f"nahawi-app: error: could not write {out}", file=sys.stderr)
        return 1
    if not finished:
        print("nahawi-app: warning: the check did not finish in time", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
