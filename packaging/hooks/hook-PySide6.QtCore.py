"""PySide6.QtCore in the Krates bundle: only the Qt plugins the app loads, no translations."""

from qt_filter import qt_module_files

hiddenimports, binaries, datas = qt_module_files(__file__)
