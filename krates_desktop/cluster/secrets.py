"""Secret values as bytes, shown only when asked, and never where they could leak.

:func:`secret_values` decodes a Secret's ``data`` (base64) and ``stringData``
into :class:`SecretValue` objects holding bytes. A value is text only when its
bytes are valid UTF-8; otherwise it is shown as its size and a hex preview, and
never turned into a ``str`` that would lose bytes when saved back. A ``data``
value that is not valid base64 (written by hand, or through a ``stringData``
mistake) is kept as it came and flagged instead of crashing the viewer.

A :class:`SecretView` is the per-window reveal state: everything is masked until
:meth:`SecretView.reveal`, and masked again after :meth:`SecretView.hide`. The
``repr`` of these objects never shows a value, and nothing here logs one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MASK = "••••••••"
HEX_PREVIEW = 32


class SecretValue:
    """One key of a Secret: its bytes, kept out of every repr and log."""

    __slots__ = ("key", "_data", "valid_base64", "source")

    def __init__(
        self, key: str, data: bytes, valid_base64: bool = True, source: str = "data"
    ):
        self.key = key
        self._data = data
        self.valid_base64 = valid_base64
        self.source = source

    @property
    def size(self) -> int:
        """The number of bytes."""
        return len(self._data)

    def reveal(self) -> bytes:
        """The bytes themselves: for the window that shows them, or the clipboard."""
        return self._data

    def is_text(self) -> bool:
        """Whether the bytes are valid UTF-8 (so they may be shown as text)."""
        try:
            self._data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    def text(self) -> str | None:
        """The value as text when it is valid UTF-8, else None."""
        return self._data.decode("utf-8") if self.is_text() else None

    def shown(self) -> str:
        """What a revealed window shows: the text, or size and hex for binary."""
        if not self.valid_base64:
            return f"(not valid base64, {self.size} bytes as stored)"
        text = self.text()
        if text is not None:
            return text
        preview = self._data[:HEX_PREVIEW].hex(" ")
        more = " …" if self.size > HEX_PREVIEW else ""
        return f"binary, {self.size} bytes: {preview}{more}"

    def masked(self) -> str:
        """What a window shows before reveal."""
        return f"{MASK} ({self.size} bytes)"

    def base64(self) -> str:
        """The value as the API stores it in ``data`` (for YAML and saving)."""
        return base64.b64encode(self._data).decode("ascii")

    def __repr__(self) -> str:
        return f"SecretValue({self.key!r}, {self.size} bytes)"

    __str__ = __repr__


def secret_values(secret: Mapping[str, Any]) -> list[SecretValue]:
    """Every key of ``secret``'s ``data`` and ``stringData``, in the order given."""
    values: list[SecretValue] = []
    for key, encoded in (secret.get("data") or {}).items():
        text = str(encoded or "")
        try:
            data, valid = base64.b64decode(text, validate=True), True
        except (binascii.Error, ValueError):
            data, valid = text.encode("utf-8", "surrogateescape"), False
        values.append(SecretValue(str(key), data, valid))
    for key, plain in (secret.get("stringData") or {}).items():
        values.append(
            SecretValue(str(key), str(plain or "").encode(), True, "stringData")
        )
    return values


@dataclass(frozen=True)
class SecretRow:
    """One line of a Secret window: the key, what is shown, and whether it is text."""

    key: str
    shown: str
    size: int
    text: bool


class SecretView:
    """The reveal state of one window showing one Secret."""

    def __init__(self, secret: Mapping[str, Any]) -> None:
        self.name = str((secret.get("metadata") or {}).get("name") or "")
        self._values = secret_values(secret)
        self.revealed = False

    def __repr__(self) -> str:
        state = "revealed" if self.revealed else "masked"
        return f"<SecretView {self.name} {len(self._values)} keys {state}>"

    def reveal(self) -> None:
        """Show the values (text, or size and hex) in this window only."""
        self.revealed = True

    def hide(self) -> None:
        """Mask the values again."""
        self.revealed = False

    def value(self, key: str) -> SecretValue | None:
        """The value of ``key`` (for an explicit copy by the user)."""
        return next((v for v in self._values if v.key == key), None)

    def rows(self) -> list[SecretRow]:
        """What the window shows, masked or revealed."""
        return [
            SecretRow(
                v.key,
                v.shown() if self.revealed else v.masked(),
                v.size,
                v.is_text() and v.valid_base64,
            )
            for v in self._values
        ]

    def forget(self) -> None:
        """Drop the values (the window closed)."""
        self._values = []
        self.revealed = False
