#!/bin/sh
# Registers this Krates bundle for the current user: menu entry, icons, AppStream
# metainfo, `krates` and `krates-signal` in ~/.local/bin, and the krates:// link
# handler. The bundle stays where it is (it may be read-only, e.g. /opt/krates).
#
#   ./install.sh              register the bundle this script sits in
#   ./install.sh --uninstall  remove what it registered
#
# Honours XDG_DATA_HOME, XDG_CONFIG_HOME and HOME like every desktop does.
set -eu

APP_ID=krates
BUNDLE=$(cd "$(dirname "$0")" && pwd -P)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
CONFIG=${XDG_CONFIG_HOME:-$HOME/.config}
BIN=$HOME/.local/bin
ICON_SIZES="16 22 24 32 48 64 128 256 512"

say() { printf '%s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# The Exec= value of the desktop file: the program's path, quoted if it has spaces.
exec_value() {
    case $1 in
        *[\"\`\$\\\&\|]*) fail "the bundle's path has one of \" \` \$ \\ & |: move it elsewhere ($1)" ;;
        *" "*) printf '"%s"' "$1" ;;
        *) printf '%s' "$1" ;;
    esac
}

refresh() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$DATA/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
    fi
    touch "$DATA/icons/hicolor" 2>/dev/null || true
}

install_files() {
    [ -x "$BUNDLE/krates" ] || fail "no krates program next to this script ($BUNDLE)"
    program=$(exec_value "$BUNDLE/krates")
    mkdir -p "$DATA/applications" "$DATA/metainfo" "$BIN"
    sed -e "s|^Exec=krates |Exec=$program |" -e "s|^TryExec=krates\$|TryExec=$program|" \
        "$BUNDLE/share/applications/$APP_ID.desktop" > "$DATA/applications/$APP_ID.desktop"
    cp "$BUNDLE/share/metainfo/$APP_ID.metainfo.xml" "$DATA/metainfo/"
    for size in $ICON_SIZES; do
        folder="$DATA/icons/hicolor/${size}x${size}/apps"
        mkdir -p "$folder"
        cp "$BUNDLE/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png" "$folder/"
    done
    mkdir -p "$DATA/icons/hicolor/scalable/apps"
    cp "$BUNDLE/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$DATA/icons/hicolor/scalable/apps/"
    ln -sf "$BUNDLE/krates" "$BIN/krates"
    ln -sf "$BUNDLE/krates-signal" "$BIN/krates-signal"
    refresh
    if command -v xdg-mime >/dev/null 2>&1; then
        xdg-mime default "$APP_ID.desktop" x-scheme-handler/krates
    else
        say "xdg-mime is missing (Debian package xdg-utils): krates:// links are not registered"
    fi
    say "Krates $("$BUNDLE/krates" --version | cut -d' ' -f2) registered from $BUNDLE"
    say "menu entry: $DATA/applications/$APP_ID.desktop; programs: $BIN/krates, $BIN/krates-signal"
}

uninstall_files() {
    rm -f "$DATA/applications/$APP_ID.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml"
    for size in $ICON_SIZES; do
        rm -f "$DATA/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    rm -f "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
    for name in krates krates-signal; do
        if [ "$(readlink "$BIN/$name" 2>/dev/null)" = "$BUNDLE/$name" ]; then
            rm -f "$BIN/$name"
        fi
    done
    if [ -f "$CONFIG/mimeapps.list" ]; then
        sed -i "/^x-scheme-handler\/krates=/d" "$CONFIG/mimeapps.list"
    fi
    refresh
    say "Krates unregistered (the bundle in $BUNDLE is left as it is)"
}

case ${1:-} in
    "") install_files ;;
    --uninstall) uninstall_files ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) fail "unknown option $1 (try --help)" ;;
esac
