"""The `krates-signal` executable of the bundle: the signaling server's command line."""

import sys

from krates_desktop.signaling.cli import main

sys.exit(main())
