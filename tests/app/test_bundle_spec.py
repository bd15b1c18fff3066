"""The desktop bundle (packaging/nahawi-app.spec, scripts/build_app.sh) carries every file the app loads.

Fast tests check packaging/bundle_resources.py, which the spec builds from, against what the app really
loads: the default model's files, the shipped font, Qt's Arabic strings (loaded by the real interface code),
and any other file beside the code in the packages, so a new resource cannot be left out of the bundle.
The build itself, and the bundle started headless from an environment without Python, run only when asked:
`-m slow` or NAHAWI_BUILD_BUNDLE=1.
"""
from __future__ import annotations

import configparser
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "packaging" / "nahawi-app.spec"


def load_bundle_resources():
    spec = importlib.util.spec_from_file_location("bundle_resources", REPO / "packaging" / "bundle_resources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


resources = load_bundle_resources()
BUNDLED = resources.bundled_paths(resources.resource_datas(REPO))


def test_every_file_beside_the_code_in_the_packages_is_bundled():
    """Whatever the app reads through `Path(__file__)` lives in its packages: none may be missing."""
    shipped = {file.relative_to(REPO).as_posix()
               for package in ("nahawi", "nahawi_app") for file in (REPO / package).rglob("*")
               if file.is_file() and file.suffix not in (".py", ".pyc") and "__pycache__" not in file.parts}
    assert shipped and shipped <= BUNDLED, sorted(shipped - BUNDLED)


def test_every_file_of_the_default_model_is_bundled_where_the_engine_looks():
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR

    model_files = {f"nahawi/resources/default_model/{file.name}" for file in DEFAULT_MODEL_DIR.iterdir()}
    assert {"nahawi/resources/default_model/model.json",
            "nahawi/resources/default_model/encoder.onnx"} <= model_files <= BUNDLED
    assert DEFAULT_MODEL_DIR.relative_to(REPO).as_posix() == "nahawi/resources/default_model"


def test_the_fonts_the_editor_registers_are_bundled(qapp):
    from nahawi_app import editor

    fonts = sorted(editor.BUNDLED_FONTS.glob("*.ttf"))
    assert fonts and "Noto Naskh Arabic" in editor.bundled_families()
    assert {file.relative_to(REPO).as_posix() for file in fonts} <= BUNDLED
    assert "nahawi_app/resources/fonts/OFL.txt" in BUNDLED  # the font's licence travels with it


def test_the_qt_translation_the_arabic_interface_loads_is_bundled(qapp):
    from nahawi_app import interface

    interface.use_interface_language(True)
    try:
        loaded = Path(interface._translator.filePath()) if interface._translator else None
    finally:
        interface.use_interface_language(False)
    assert loaded is not None and loaded.is_file(), "Qt's Arabic strings did not load"
    assert loaded.name in resources.QT_TRANSLATIONS
    assert resources.keep_translation(f"PySide6/Qt/translations/{loaded.name}")
    assert not resources.keep_translation("PySide6/Qt/translations/qtbase_fr.qm")  # languages the app lacks


def test_the_spec_takes_its_files_from_bundle_resources():
    text = SPEC.read_text(encoding="utf-8")
    compile(text, str(SPEC), "exec")
    for use in ("resource_datas(ROOT)", "QT_TRANSLATIONS", "EXCLUDED_MODULES", "keep_translation",
                "keep_binary", "prune_orphans", "LINUX_DLOPENED"):
        assert use in text, use


def test_pruning_drops_what_only_an_excluded_plugin_needed():
    plugins = "PySide6/Qt/plugins"
    binaries = [(f"{plugins}/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
                ("PySide6/Qt/lib/libQt6XcbQpa.so.6", "/src/libQt6XcbQpa.so.6", "BINARY"),
                ("libxcb-icccm.so.4", "/src/libxcb-icccm.so.4", "BINARY"),
                ("PySide6/Qt/lib/libQt6Network.so.6", "/src/libQt6Network.so.6", "BINARY"),
                ("libssl.so.3", "/src/libssl.so.3", "BINARY"),
                ("libpython3.11.so.1.0", "/src/libpython3.11.so.1.0", "BINARY"),
                ("libxcb-cursor.so.0", "/src/libxcb-cursor.so.0", "BINARY"),
                ("numpy/_core/_multiarray_umath.so", "/src/_multiarray_umath.so", "EXTENSION")]
    needs = {"/src/libqxcb.so": {"libQt6XcbQpa.so.6", "libc.so.6"}, "/src/libQt6XcbQpa.so.6": {"libxcb-icccm.so.4"},
             "/src/libQt6Network.so.6": {"libssl.so.3"}}
    kept = resources.prune_orphans(
        [entry for entry in binaries if resources.keep_binary(entry[0])], lambda src: needs.get(src, set()))
    assert [dest for dest, _, _ in kept] == [
        f"{plugins}/platforms/libqxcb.so", "PySide6/Qt/lib/libQt6XcbQpa.so.6", "libxcb-icccm.so.4",
        "libpython3.11.so.1.0", "libxcb-cursor.so.0", "numpy/_core/_multiarray_umath.so"]
    assert not resources.keep_binary(f"{plugins}/platformthemes/libqgtk3.so")
    assert resources.keep_binary(f"{plugins}/platforms/libqoffscreen.so")  # --screenshot needs it


def test_the_bundle_pins_stay_inside_the_project_dependencies():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["app"]]
    pins = [Requirement(line) for line in (REPO / "packaging" / "requirements-bundle.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    env = {"python_version": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for pin in pins:
        version = next(iter(pin.specifier)).version
        for need in wanted:
            if need.name.lower() == pin.name.lower() and (need.marker is None or need.marker.evaluate(env)):
                assert need.specifier.contains(version), f"{pin} is outside {need}"
    assert {"onnxruntime", "numpy", "sentencepiece", "pyside6-essentials"} <= {pin.name.lower() for pin in pins}


def test_the_desktop_entry_opens_text_files_with_the_file_as_argument():
    from nahawi_app.main import parse_args

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(REPO / "packaging" / "linux" / "nahawi-app.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert {"text/plain", "text/markdown"} <= set(desktop["MimeType"].strip(";").split(";"))
    assert desktop["Exec"] == "nahawi-app %f" and desktop["Icon"] == "nahawi-app"
    assert (REPO / "packaging" / "linux" / "nahawi-app.png").is_file()
    assert parse_args(["/home/writer/مقالة.txt"]).open_file == "/home/writer/مقالة.txt"  # what %f passes


def build_requested(config) -> bool:
    """Whether this run asked for the build: `-m slow` (not merely a run without -m, which picks slow tests
    too) or NAHAWI_BUILD_BUNDLE=1. The build takes minutes and installs packages into work/bundle/venv."""
    expression = config.getoption("markexpr") or ""
    return os.environ.get("NAHAWI_BUILD_BUNDLE") == "1" or ("slow" in expression and "not slow" not in expression)


@pytest.mark.slow
def test_the_built_bundle_renders_a_checked_file_without_python(tmp_path, request):
    """scripts/build_app.sh, then the bundle run headless from an environment with no Python on PATH."""
    if not build_requested(request.config):
        pytest.skip("builds the desktop bundle (minutes): run with -m slow or NAHAWI_BUILD_BUNDLE=1")
    subprocess.run(["bash", str(REPO / "scripts" / "build_app.sh")], check=True, cwd=REPO, timeout=1800)
    app = REPO / "dist" / "nahawi-app"
    size = sum(file.stat().st_size for file in app.rglob("*") if file.is_file() and not file.is_symlink())
    assert size <= 250 * 2**20, f"{size / 2**20:.0f} MiB"
    assert not (app / "_internal" / "torch").exists() and not (app / "_internal" / "pytest").exists()
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {"HOME": str(tmp_path / "home"), "PATH": str(empty_bin), "QT_QPA_PLATFORM": "offscreen",
           "OMP_NUM_THREADS": "1", "LANG": os.environ.get("LANG", "C.UTF-8")}
    out = tmp_path / "shot.png"
    done = subprocess.run([str(app / "nahawi-app"), "--open", str(REPO / "nahawi" / "resources" / "sample.txt"),
                           "--screenshot", str(out)], check=False, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr and "did not finish" not in done.stderr, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
