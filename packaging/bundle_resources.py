"""What the desktop bundle carries and what it leaves out, in one place: the PyInstaller spec builds from it
and tests/app/test_bundle_spec.py checks it against what the app really loads.

Owns the lists and the rules over them: where the packages keep their resources (the default model, the
shipped Arabic font and its licence), which of Qt's own translations the interface loads, the modules and Qt
plugins the editor never uses, and which libraries are left once those are gone. Knows nothing of PyInstaller
itself (the spec imports this module and hands it PyInstaller's entries; this module imports nothing outside
the standard library).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# Package folders copied whole, so a file added to one (a tagger in the default model, another font weight)
# is bundled without anyone editing this list. Paths are relative to the repository root.
RESOURCE_DIRS = ("nahawi/resources", "nahawi_app/resources")

# Qt's own strings for the Arabic interface (nahawi_app.interface loads qtbase for QLocale Arabic); every
# other language's Qt catalogue is dropped from the bundle (the interface offers Arabic and English only).
QT_TRANSLATIONS = ("qtbase_ar.qm",)

# Libraries Qt loads with dlopen on Linux, so PyInstaller's link analysis cannot see them, with the Debian
# package that provides each on the build machine: from Qt 6.5 the xcb platform (X11 desktops) refuses to start
# without libxcb-cursor, which many desktops lack; the bundle carries it.
LINUX_DLOPENED = {"libxcb-cursor.so.0": "libxcb-cursor0"}

# What the frozen editor never imports: the training stack, the exporter and the language server.
EXCLUDED_MODULES = ("torch", "onnx", "onnxscript", "training", "export", "lsp_server", "pygls", "lsprotocol",
                    "tkinter", "IPython", "pytest",
                    # PySide6's hook pulls QtNetwork (with OpenSSL and Kerberos, ~10 MB); the editor never uses it.
                    "PySide6.QtNetwork")

# Qt plugins the editor never loads: framebuffer and VNC platforms (a desktop has X11 or Wayland; offscreen
# stays for --screenshot) and the GTK 3 theme, whose GTK comes from the user's system and must not meet the
# cairo and pango copies PyInstaller would bundle beside it.
EXCLUDED_QT_PLUGINS = ("platforms/libqeglfs", "platforms/libqlinuxfb", "platforms/libqvnc",
                       "platforms/libqvkkhrdisplay", "platforms/libqminimalegl", "egldeviceintegrations/",
                       "generic/libqtuiotouchplugin",  # TUIO touch over the network: needs QtNetwork
                       "platformthemes/libqgtk3")


def resource_datas(root: Path) -> list[tuple[str, str]]:
    """(source file, destination folder in the bundle) for every file under RESOURCE_DIRS; the destination
    keeps the package layout, so `Path(__file__).parent / "resources"` finds it frozen as from source."""
    datas = []
    for folder in RESOURCE_DIRS:
        for file in sorted((root / folder).rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                datas.append((str(file), str(file.parent.relative_to(root))))
    return datas


def bundled_paths(datas: list[tuple[str, str]]) -> set[str]:
    """Paths inside the bundle (destination folder / file name, with '/') of (source, destination) pairs."""
    return {f"{Path(dest).as_posix()}/{Path(src).name}" for src, dest in datas}


def keep_binary(dest: str) -> bool:
    """Whether a library collected by PyInstaller stays in the bundle (not an excluded Qt plugin)."""
    posix = Path(dest).as_posix()
    return not any(f"/plugins/{pattern}" in posix for pattern in EXCLUDED_QT_PLUGINS)


def prune_orphans(binaries: list[tuple], needs: Callable[[str], set[str]]) -> list[tuple]:
    """Drop the shared libraries nothing left in the bundle links to, once the excluded plugins are gone.

    binaries: PyInstaller's (destination, source, typecode) entries; needs(source) gives the file names a
    binary links to. Only plain libraries at the top level or in Qt's lib folder can go (PyInstaller put them
    there as someone's dependency); extension modules, plugins, libpython (the bootloader opens it) and
    LINUX_DLOPENED are the roots that stay.
    """
    def removable(dest: str, typecode: str) -> bool:
        folder, name = Path(dest).parent.as_posix(), Path(dest).name
        return (typecode == "BINARY" and (folder == "." or folder.endswith("Qt/lib"))
                and not name.startswith("libpython") and name not in LINUX_DLOPENED)

    by_name = {Path(dest).name: (dest, src) for dest, src, _ in binaries}
    stack = [(dest, src) for dest, src, typecode in binaries if not removable(dest, typecode)]
    kept: set[str] = set()
    while stack:
        dest, src = stack.pop()
        if dest not in kept:
            kept.add(dest)
            stack += [by_name[name] for name in needs(src) if name in by_name]
    return [entry for entry in binaries if entry[0] in kept]


def keep_translation(dest: str) -> bool:
    """Whether a Qt translation file collected by PyInstaller's Qt hook stays in the bundle."""
    name = Path(dest).name
    return not name.endswith(".qm") or name in QT_TRANSLATIONS
