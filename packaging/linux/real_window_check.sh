#!/usr/bin/env bash
# Issue 13's real-window check: in an empty file, Return x3, type, Ctrl+S saves exactly "\n\n\n" + the text;
# then Return x2 and a word at the end give a blank line. A real X server (Xvfb), a window manager (openbox)
# and the Arabic keyboard layout (setxkbmap ara): each letter is pressed on the key that layout gives it, so
# the app gets what a writer's keyboard sends. Prints what was saved; exits 1 when it is not what was typed.
# Usage: packaging/linux/real_window_check.sh [APP] [SCREENSHOTS_DIR]
#   APP: the command to run (default .venv/bin/nahawi-app; dist/nahawi-app/nahawi-app for the bundle).
# Needs Xvfb, openbox, xdotool, setxkbmap (x11-xkb-utils); import (imagemagick) for screenshots.
set -euo pipefail
cd "$(dirname "$0")/../.."
app="${1:-$PWD/.venv/bin/nahawi-app}"
shots="${2:-}"
scratch="$(mktemp -d)"
display=":$((80 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
pids=("$xvfb")
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$scratch"' EXIT
sleep 1
export DISPLAY="$display"
openbox >/dev/null 2>&1 &
pids+=("$!")
sleep 1
setxkbmap -layout ara
file="$scratch/empty.txt"
: >"$file"
OMP_NUM_THREADS=1 "$app" "$file" --settings "$scratch/settings.ini" --data-dir "$scratch/data" >"$scratch/app.log" 2>&1 &
pids+=("$!")
window=""
for _ in $(seq 120); do
    window=$(xdotool search --onlyvisible --name "empty.txt" 2>/dev/null | head -1) && [ -n "$window" ] && break
    sleep 0.5
done
[ -n "$window" ] || { echo "no window; the app said:"; cat "$scratch/app.log"; exit 1; }
xdotool windowactivate --sync "$window"
sleep 1
press() { for key in "$@"; do xdotool key --clearmodifiers "$key"; sleep 0.08; done; }
shot() { [ -z "$shots" ] || { mkdir -p "$shots"; import -window root "$shots/$1.png"; }; }
press Return Return Return
# ذهب الطالب الى المدرسة
press Arabic_thal Arabic_heh Arabic_beh space Arabic_alef Arabic_lam Arabic_tah Arabic_alef Arabic_lam Arabic_beh \
    space Arabic_alef Arabic_lam Arabic_alefmaksura space Arabic_alef Arabic_lam Arabic_meem Arabic_dal Arabic_ra \
    Arabic_seen Arabic_tehmarbuta ctrl+s
sleep 1
cp "$file" "$scratch/first"
shot typed
press Return Return Arabic_noon Arabic_sad ctrl+s  # نص after a blank line
sleep 1
shot blank-line
python3 - "$scratch/first" "$file" <<'EOF'
import sys
first, second = (open(name, "rb").read() for name in sys.argv[1:])
line = "ذهب الطالب الى المدرسة"
ok = [first == f"\n\n\n{line}".encode(), second == f"\n\n\n{line}\n\nنص".encode()]
print("Return x3, type, Ctrl+S:", first, "ok" if ok[0] else "NOT AS TYPED")
print("then Return x2, type, Ctrl+S:", second, "ok" if ok[1] else "NOT AS TYPED")
sys.exit(0 if all(ok) else 1)
EOF
