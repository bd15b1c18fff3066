#!/usr/bin/env bash
# Put Nahawi in the desktop's menus and "Open with" for text files, for this user only (no root):
# a `nahawi-app` link in ~/.local/bin, the .desktop entry and the icon under ~/.local/share.
# Run from the unpacked bundle: ./install.sh   (./install.sh --uninstall removes the three again)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
entry="$data/applications/nahawi-app.desktop"
icon="$data/icons/hicolor/256x256/apps/nahawi-app.png"
if [ "${1:-}" = --uninstall ]; then
    rm -f "$bin/nahawi-app" "$entry" "$icon"
else
    mkdir -p "$bin" "$(dirname "$entry")" "$(dirname "$icon")"
    ln -sfn "$here/nahawi-app" "$bin/nahawi-app"
    # Exec and TryExec name the bundle itself, so the entry works without ~/.local/bin on PATH.
    sed -e "s|^Exec=nahawi-app|Exec=\"$here/nahawi-app\"|" -e "s|^TryExec=nahawi-app|TryExec=$here/nahawi-app|" \
        "$here/share/applications/nahawi-app.desktop" > "$entry"
    cp "$here/share/icons/hicolor/256x256/apps/nahawi-app.png" "$icon"
fi
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
