"""Raw log bytes to lines: incremental UTF-8 decoding and every kind of line end.

A container may end lines with LF, CRLF or a lone CR (old Mac tools, some Windows
programs), and a stream's chunks split anywhere, even inside a multi-byte character
or between the CR and LF of one line end. `LineAssembler` turns chunks into whole
lines without their line ends.

A lone CR is a line end while the stream has used CR as its line end, that is,
until the first LF is seen. After that a CR inside a line is a carriage return (a
progress bar redrawing itself) and stays in the line for the display to apply.

Limitations: a stream that starts with a progress bar before its first LF has the
bar's steps as separate lines; the charset is always UTF-8 (bytes that are not
become U+FFFD, one per bad sequence, and never cost the rest of the line).
"""

from __future__ import annotations

import codecs
import re

_ANY_BREAK = re.compile(r"\r\n|\r|\n")
_LF_BREAK = re.compile(r"\r?\n")


class LineAssembler:
    """Chunks of raw bytes in, complete lines out; the partial last line is kept."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._rest = ""
        self._seen_lf = False

    def feed(self, data: bytes) -> list[str]:
        """The lines completed by `data`."""
        return self._split(self._decoder.decode(data))

    def finish(self) -> list[str]:
        """The lines left at the end of the stream (a last line without a line end)."""
        lines = self._split(self._decoder.decode(b"", final=True))
        rest, self._rest = self._rest, ""
        if rest.endswith("\r"):
            rest = rest[:-1]
        return [*lines, rest] if rest else lines

    def _split(self, text: str) -> list[str]:
        if not text:
            return []
        data = self._rest + text
        if not self._seen_lf and "\n" in data:
            self._seen_lf = True
            cut = data.index("\n") + 1
            # Up to the first LF, a lone CR still ends lines.
            lines = _ANY_BREAK.split(data[:cut])[:-1]
            return lines + self._split_rest(data[cut:])
        if not self._seen_lf:
            # A CR at the end may be the first half of a CRLF still to come.
            held = "\r" if data.endswith("\r") else ""
            parts = _ANY_BREAK.split(data[:-1] if held else data)
            self._rest = parts.pop() + held
            return parts
        return self._split_rest(data)

    def _split_rest(self, data: str) -> list[str]:
        parts = _LF_BREAK.split(data)
        self._rest = parts.pop()
        return parts
