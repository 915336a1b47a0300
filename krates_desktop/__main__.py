"""Lets `python -m krates_desktop` behave like the `krates` command."""

from krates_desktop.cli import main

raise SystemExit(main())
