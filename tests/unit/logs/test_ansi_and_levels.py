"""What a log line shows: colours as spans, other control sequences gone, levels."""

from __future__ import annotations

import pytest

from krates_desktop.logs.ansi import display_chunk, display_text, raw_text, styled
from krates_desktop.logs.levels import COLOURS, Level, colour_of, level_of


def test_c16_sgr_colours_become_spans_not_text() -> None:
    """`\\033[31mERROR\\033[0m ok` shows `ERROR ok` with ERROR in red, no `[31m` text."""
    text, spans = styled("\x1b[31mERROR\x1b[0m ok")
    assert text == "ERROR ok"
    assert [(s.start, s.end, s.style.fg) for s in spans] == [(0, 5, "red")]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2K\x1b[1Gclean line", "clean line"),
        ("\x1b]0;window title\x07after title", "after title"),
        ("\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"),
        ("\x1bPq#0;2;0;0;0~-\x1b\\after sixel", "after sixel"),
        ("bell\x07 and nul\x00 gone", "bell and nul gone"),
        ("[==>   ] 40%\r[=====>] 90%\r\x1b[Kfinished", "finished"),
        ("progress 10%\rprogress 100%", "progress 100%"),
        ("tyop\b\bpo", "typo"),
        ("tab\tkept", "tab\tkept"),
        ("caf\ufffd stays", "caf\ufffd stays"),
    ],
)
def test_c16_other_control_sequences_are_stripped(raw: str, shown: str) -> None:
    """Cursor moves, titles, DCS, bells and `\\r` progress bars leave only the text."""
    assert display_text(raw) == shown


def test_raw_view_shows_every_escape_one_symbol_per_character() -> None:
    """The raw view keeps the line as written, with ESC and CR as visible symbols."""
    raw = "\x1b[31mERROR\x1b[0m 50%\r"
    assert raw_text(raw) == "␛[31mERROR␛[0m 50%␍"
    assert len(raw_text(raw)) == len(raw)


def test_styles_of_256_true_colour_and_flags() -> None:
    """256-colour, true-colour, bold, dim, underline and their resets are kept."""
    text, spans = styled("\x1b[38;5;208;48;2;1;2;3mA\x1b[1;4mB\x1b[22;24mC\x1b[0mD")
    assert text == "ABCD"
    a, b, c = (span.style for span in spans)
    assert (a.fg, a.bg, a.bold) == ("#ff8700", "#010203", False)
    assert b.bold and b.underline and b.fg == "#ff8700"
    assert not c.bold and not c.underline
    assert spans[-1].end == 3


def test_display_chunk_keeps_the_line_count() -> None:
    """A chunk of lines cleaned at once has as many lines, each cleaned alike."""
    lines = ["plain", "\x1b[1mbold\x1b[0m", "a\rb", "", "x\x07y"]
    chunk = display_chunk("\n".join(lines))
    assert chunk.split("\n") == [display_text(line) for line in lines]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("2015 INFO dfs.DataNode: ok", Level.INFO),
        ("WARN then ERROR: both", Level.ERROR),
        ("INFO and later warning", Level.WARN),
        ("error: lower case counts", Level.ERROR),
        ("Errors=0 ERRORS x_error", Level.NONE),
        ("no level word", Level.NONE),
    ],
)
def test_levels_are_whole_words_with_error_first(text: str, level: Level) -> None:
    """The level is a whole word, any case; ERROR beats WARN beats INFO."""
    assert level_of(text) is level


def test_level_colours_are_the_spec_tokens() -> None:
    """ERROR red, WARN amber, INFO and unlabelled secondary text, markers muted."""
    assert colour_of("x ERROR y") == "#ef6f6f"
    assert colour_of("x WARNING y") == "#e8b54a"
    assert colour_of("x INFO y") == colour_of("nothing") == "#b9c6d8"
    assert COLOURS[Level.MARKER] == "#8a97ab"
