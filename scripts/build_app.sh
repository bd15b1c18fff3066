#!/usr/bin/env bash
# Build the self-contained desktop editor: dist/nahawi-app/ (PyInstaller one-folder; `dist/nahawi-app/nahawi-app`
# runs with no Python installed) and, on Linux, the tarball dist/nahawi-app-VERSION-linux-ARCH.tar.gz with the
# .desktop entry, the icon and install.sh. Usage: scripts/build_app.sh
# The build runs in its own venv (work/bundle/venv, or $NAHAWI_BUNDLE_VENV) with the pinned packages of
# packaging/requirements-bundle.txt, never in .venv: the bundle must not pick up torch, pytest or the GPU runtime.
# Environment: PYTHON (interpreter for the venv, default python3); NAHAWI_BUNDLE_VENV. See docs/bundle.md.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${NAHAWI_BUNDLE_VENV:-work/bundle/venv}"
python="${PYTHON:-python3}"
case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) bindir=Scripts ;; *) bindir=bin ;; esac

if [ ! -x "$venv/$bindir/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/$bindir/python" -m pip install --quiet --upgrade pip
"$venv/$bindir/python" -m pip install --quiet -r packaging/requirements-bundle.txt
if [ "$(uname -s)" != Linux ]; then
    "$venv/$bindir/python" -m pip install --quiet "pillow>=10"  # PyInstaller turns the PNG icon into .ico / .icns
fi

rm -rf dist/nahawi-app
"$venv/$bindir/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/nahawi-app.spec

version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' nahawi/__init__.py)"
if [ "$(uname -s)" = Linux ]; then
    app=dist/nahawi-app
    find "$app" -xtype l -delete  # links to the Qt libraries the spec pruned
    # The build interpreter's debug symbols (libpython 22 MB -> 6 MB); never the wheels' libraries, which
    # auditwheel patched and strip would break.
    if command -v strip >/dev/null; then
        strip --strip-unneeded "$app"/_internal/libpython3*.so* "$app"/_internal/python3*/lib-dynload/*.so
    fi
    install -D -m 0644 packaging/linux/nahawi-app.desktop "$app/share/applications/nahawi-app.desktop"
    install -D -m 0644 packaging/linux/nahawi-app.png "$app/share/icons/hicolor/256x256/apps/nahawi-app.png"
    install -m 0755 packaging/linux/install.sh "$app/install.sh"
    tarball="dist/nahawi-app-$version-linux-$(uname -m).tar.gz"
    tar -C dist -czf "$tarball" nahawi-app
    echo "built $app ($(du -sh "$app" | cut -f1)) and $tarball ($(du -sh "$tarball" | cut -f1))"
else
    echo "built dist/nahawi-app"
fi
