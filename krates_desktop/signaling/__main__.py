"""``python -m krates_desktop.signaling`` runs the signaling server."""

from krates_desktop.signaling.cli import main

raise SystemExit(main())
