"""The Qt hooks of the Krates bundle: PyInstaller's collection, less what the app never loads.

PyInstaller collects every plugin of every folder a Qt module is associated with
(all platform plugins, all image formats, TLS backends, ...) and all translations.
The hooks beside this file call PyInstaller's own collection and keep only the
plugins listed in `bundle_contents.QT_PLUGINS`, so the libraries that only the
dropped plugins need are never analysed or collected either.
"""

from __future__ import annotations

from bundle_contents import is_qt_translation, keep_qt_plugin
from PyInstaller.utils.hooks.qt import add_qt6_dependencies, pyside6_library_info

Toc = list[tuple[str, str]]


def qt_module_files(hook_file: str, network: bool = False) -> tuple[list[str], Toc, Toc]:
    """Hidden imports, binaries and data files for the Qt module a hook is named after."""
    hiddenimports, binaries, datas = add_qt6_dependencies(hook_file)
    if network:
        binaries += pyside6_library_info.collect_qtnetwork_files()
    kept = [(src, dest) for src, dest in binaries if keep_qt_plugin(src)]
    data = [(src, dest) for src, dest in datas if not is_qt_translation(src)]
    return hiddenimports, kept, data
