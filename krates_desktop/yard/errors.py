"""Errors of the yard layer, each one sentence for the person at the keyboard."""

from __future__ import annotations


class YardError(Exception):
    """Root of the yard layer's errors; ``str()`` says what failed and what to try."""


class UpdateRejected(YardError):
    """Bytes offered as a document update (or a state vector) could not be decoded."""


class SchemaMismatch(YardError):
    """The yard was written by a version of Krates with another document schema."""


class StoreError(YardError):
    """The yard's files on disk could not be read or written."""
