"""Krates Desktop: a keyboard-first Kubernetes navigator on an infinite canvas."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("krates-desktop")
except PackageNotFoundError:  # running from a source tree or a frozen bundle
    __version__ = "0+unknown"
