"""PySide6.QtNetwork in the Krates bundle: no TLS or network-information plugins.

The app uses QtNetwork only for QLocalServer (one running instance per user); its
HTTPS goes through Python, so Qt's TLS backends are never loaded.
"""

from qt_filter import qt_module_files

hiddenimports, binaries, datas = qt_module_files(__file__, network=True)
