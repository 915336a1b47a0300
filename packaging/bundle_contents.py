"""What the Krates bundle leaves out, and what it adds that PyInstaller cannot see.

Shared by `krates.spec`, the hooks in `hooks/` and the packaging tests, so that the
lists live in one place. Every entry says why it is there.
"""

from __future__ import annotations

from pathlib import PurePath

# Qt plugins the app loads, by plugin folder and by file stem ("libqxcb.so" is
# "qxcb"). Every other plugin PyInstaller would collect is left out, and so are the
# libraries only those plugins need.
QT_PLUGINS: dict[str, frozenset[str]] = {
    # offscreen for --smoke-test and CI; xcb and Wayland on Linux desktops;
    # the native ones on Windows and macOS.
    "platforms": frozenset({"qoffscreen", "qxcb", "qwayland", "qwindows", "qcocoa"}),
    # Dead keys and compose sequences; IBus for CJK and other input methods.
    "platforminputcontexts": frozenset(
        {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}
    ),
    # The desktop portal: dark/light preference and native dialogs in sandboxes.
    "platformthemes": frozenset({"qxdgdesktopportal"}),
    # The window icon is an SVG.
    "imageformats": frozenset({"qsvg"}),
    "iconengines": frozenset({"qsvgicon"}),
    # Wayland: the standard shell, and client-side decorations for compositors
    # that draw none (GNOME).
    "wayland-shell-integration": frozenset({"xdg-shell"}),
    "wayland-decoration-client": frozenset({"adwaita", "bradient"}),
    # The native widget styles on Windows and macOS.
    "styles": frozenset({"qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"}),
}

# Python modules never shipped, with the reason.
EXCLUDES: dict[str, str] = {
    "readline": "GNU readline is GPL-3.0; the app has no interactive prompt",
    "mypy": "pulled in only by pydantic's mypy plugin, a development tool",
    "pydantic.mypy": "pydantic's mypy plugin, a development tool",
    "ast_serialize": "mypy's parser, a development tool",
    "librt": "mypy's compiled runtime, a development tool",
    "tkinter": "the app uses Qt",
    "_pytest": "a test tool; anyio imports it only to cooperate with pytest",
    "pytest": "a test tool",
    "PySide6.QtDBus": "the Python module; Qt's own D-Bus library stays (QtGui links it)",
}

# Imported lazily or not yet by the package itself, but part of the app: list them
# so that the bundle has them from the first build on.
HIDDEN_IMPORTS: tuple[str, ...] = (
    "aiortc",
    "pycrdt",
    "qasync",
    "keyring",
    "platformdirs",
    "PySide6.QtNetwork",
)


def plugin_stem(filename: str) -> str:
    """The name a plugin file is known by: "libqxcb.so" and "qxcb.dll" are "qxcb"."""
    stem = filename.split(".", 1)[0]
    return stem[3:] if stem.startswith("lib") else stem


def keep_qt_plugin(path: str) -> bool:
    """True for a Qt plugin file the app loads (see `QT_PLUGINS`)."""
    parts = PurePath(path).parts
    if "plugins" not in parts:
        return True
    folder = "/".join(parts[parts.index("plugins") + 1 : -1])
    return plugin_stem(parts[-1]) in QT_PLUGINS.get(folder, frozenset())


def is_qt_translation(path: str) -> bool:
    """True for a Qt translation catalogue: the app is in English and installs none."""
    return path.endswith(".qm")
