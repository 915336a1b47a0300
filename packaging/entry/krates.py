"""The `krates` executable of the bundle: the same command line as the installed one."""

import sys

from krates_desktop.cli import main

sys.exit(main())
