"""TerminalScreen behaviour a user sees: wide cells, alternate screen, scroll-back, modes."""

from __future__ import annotations

import pytest

from krates_desktop.terminal.palette import cell_colors
from krates_desktop.terminal.screen import TerminalScreen, pending_segments


def fed(data: str | bytes, cols: int = 80, rows: int = 24) -> TerminalScreen:
    screen = TerminalScreen(cols, rows)
    screen.feed(data.encode() if isinstance(data, str) else data)
    return screen


def numbered(count: int) -> str:
    return "".join(f"line {i}\r\n" for i in range(count))


def test_insert_mode_over_the_right_half_of_a_wide_char_blanks_it() -> None:
    """In a 2x1 screen, `x` written in insert mode over the right half of `コ` shows ` x`."""
    screen = fed("コ\x1b[4h\x1b[1;2Hx", cols=2, rows=1)
    assert screen.view_text() == [" x"]


def test_narrow_char_over_the_left_half_of_a_wide_char_blanks_the_right_half() -> None:
    """`a` written over the left half of `漢` leaves `a `, then `字` untouched."""
    assert fed("漢字\x1b[1;1Ha").view_text()[0] == "a 字"


def test_wide_char_that_does_not_fit_wraps() -> None:
    """A wide character that would straddle the right edge goes to the next line."""
    assert fed("abcd漢", cols=5, rows=2).view_text() == ["abcd", "漢"]


def test_combining_mark_joins_the_previous_cell() -> None:
    """`e` + U+0301 is one cell, kept as written, and the text after it continues."""
    screen = fed("e\u0301t")
    assert screen.view_cells(0)[0].data == "e\u0301"
    assert screen.view_text()[0] == "e\u0301t"
    assert screen.cursor.x == 2


@pytest.mark.parametrize("zero_width", ["\u200b", "\u200d", "\ufe0f", "\u2060"])
def test_zero_width_characters_keep_the_rest_of_the_run(zero_width: str) -> None:
    """A zero-width character does not drop the text after it."""
    line = fed(f"ab{zero_width}cd").view_text()[0]
    assert line.replace(zero_width, "") == "abcd"


def test_unprintable_characters_are_skipped() -> None:
    """Control characters a terminal ignores do not cut the text short."""
    assert fed("a\x01b\x02c\x7fd").view_text()[0] == "abcd"


@pytest.mark.parametrize("mode", [47, 1047, 1049])
def test_alternate_screen_modes_restore_the_primary_screen(mode: int) -> None:
    """Text drawn on the alternate screen is gone after leaving it; the primary is back."""
    screen = fed(f"prompt$ \x1b[?{mode}h\x1b[Halt one\r\nalt two")
    assert screen.alternate_screen
    assert screen.view_text()[:2] == ["alt one", "alt two"]
    screen.feed(f"\x1b[?{mode}l".encode())
    assert not screen.alternate_screen
    assert screen.view_text()[:2] == ["prompt$", ""]


def test_mode_1049_restores_the_cursor() -> None:
    """Leaving mode 1049 puts the cursor back where it was before entering."""
    screen = fed("\x1b[5;7H\x1b[?1049h\x1b[20;30Hx\x1b[?1049l")
    assert (screen.cursor.y, screen.cursor.x) == (4, 6)


def test_alternate_screen_has_no_scroll_back() -> None:
    """Lines scrolled off the alternate screen are not kept and the view cannot scroll."""
    screen = fed("\x1b[?1049h" + numbered(50), rows=10)
    assert screen.history_size == 0
    screen.scroll_up(5)
    assert screen.at_bottom


def test_scroll_back_navigation() -> None:
    """The view scrolls back by lines, stops at the oldest line and returns to the bottom."""
    screen = fed(numbered(50), rows=10)
    assert screen.history_size == 41
    assert screen.view_text()[0] == "line 41"
    screen.scroll_up(5)
    assert screen.view_text()[0] == "line 36"
    assert not screen.at_bottom
    screen.scroll_up(1000)
    assert screen.view_text()[0] == "line 0"
    screen.scroll_down(2)
    assert screen.view_text()[0] == "line 2"
    screen.scroll_to_bottom()
    assert screen.at_bottom and screen.view_text()[0] == "line 41"


def test_new_output_does_not_move_a_scrolled_view() -> None:
    """While scrolled back, new lines do not change what is on view."""
    screen = fed(numbered(50), rows=10)
    screen.scroll_up(20)
    shown = screen.view_text()
    screen.feed(numbered(5).encode())
    assert screen.view_text() == shown


def test_scroll_back_holds_5000_lines() -> None:
    """The scroll-back keeps the newest 5000 lines."""
    screen = fed(numbered(6000), rows=10)
    assert screen.history_size == 5000
    screen.scroll_up(5000)
    assert screen.view_text()[0] == "line 991"


def test_scrolling_region_below_the_top_keeps_no_history() -> None:
    """Lines scrolled out of a region that does not start at the top row are not kept."""
    screen = fed("\x1b[3;10r\x1b[10;1H" + "x\r\n" * 20, rows=12)
    assert screen.history_size == 0


def test_clear_scrollback_with_ed3() -> None:
    """`CSI 3 J` (what `clear` sends) empties the scroll-back."""
    screen = fed(numbered(50), rows=10)
    screen.feed(b"\x1b[H\x1b[2J\x1b[3J")
    assert screen.history_size == 0
    assert all(line == "" for line in screen.view_text())


def test_erase_uses_the_background_colour() -> None:
    """Erasing the display and a line fills every cell with the current background."""
    screen = fed("\x1b[44m\x1b[2J\x1b[0m", cols=10, rows=3)
    assert all(cell.bg == "blue" for row in range(3) for cell in screen.view_cells(row))
    screen.feed(b"\x1b[2;4H\x1b[41m\x1b[K")
    row = screen.view_cells(1)
    assert [c.bg for c in row[:3]] == ["blue"] * 3
    assert [c.bg for c in row[3:]] == ["red"] * 7


def test_dirty_rows_name_only_what_changed() -> None:
    """After a change on one row only that row (and the cursor's rows) are dirty."""
    screen = fed("\x1b[5;1H")
    screen.take_dirty()
    screen.feed(b"x")
    assert screen.take_dirty() == {4}
    assert screen.take_dirty() == set()
    screen.feed(b"\x1b[10;1H")
    assert screen.take_dirty() == {4, 9}


def test_scrolling_the_view_dirties_every_row() -> None:
    """Moving the view repaints all rows."""
    screen = fed(numbered(30), rows=10)
    screen.take_dirty()
    screen.scroll_up(1)
    assert screen.take_dirty() == set(range(10))


def test_saved_cursor_can_be_restored_twice() -> None:
    """DECRC restores the DECSC position every time, as in xterm."""
    screen = fed("\x1b[3;4H\x1b7\x1b[10;10H\x1b8\x1b[12;1H\x1b8")
    assert (screen.cursor.y, screen.cursor.x) == (2, 3)


def test_repeat_scroll_and_tab_sequences() -> None:
    """REP repeats the last character, SU scrolls text up, CBT goes to the previous stop."""
    assert fed("ab\x1b[3b").view_text()[0] == "abbbb"
    screen = fed("one\r\ntwo\r\nthree\x1b[1S", rows=4)
    assert screen.view_text()[:3] == ["two", "three", ""]
    screen = fed("\t\t\x1b[Zx")
    assert screen.view_text()[0] == " " * 8 + "x"


def test_modes_the_keyboard_and_paste_depend_on() -> None:
    """DECCKM, bracketed paste and cursor visibility follow the program's requests."""
    screen = fed("\x1b[?1h\x1b[?2004h\x1b[?25l")
    assert screen.app_cursor and screen.bracketed_paste and not screen.cursor_visible
    assert screen.cursor_cell() is None
    screen.feed(b"\x1b[?1l\x1b[?2004l\x1b[?25h")
    assert not screen.app_cursor and not screen.bracketed_paste
    assert screen.cursor_cell() == (0, 0)


def test_title_bell_and_replies() -> None:
    """OSC sets the title, BEL is counted, and queries are answered for the program."""
    screen = fed("\x1b]0;first\x07\x1b]2;second\x1b\\\x07\x07\x1b[c\x1b[5n")
    assert screen.title == "second"
    assert screen.bell_count == 2
    assert screen.take_replies() == b"\x1b[?6c\x1b[0n"
    assert screen.take_replies() == b""


def test_resize_keeps_the_cursor_line_and_the_text() -> None:
    """Shrinking rows moves the top lines into scroll-back; the prompt stays on view."""
    screen = fed(numbered(20) + "$ ", cols=40, rows=24)
    screen.resize(10, 20)
    assert (screen.lines, screen.columns) == (10, 20)
    assert screen.view_text()[-1] == "$"
    assert screen.view_text()[0] == "line 11"
    assert screen.history_size == 11
    screen.resize(12, 60)
    assert screen.view_text()[-3] == "$"
    screen.feed(b"x" * 50)
    assert screen.view_text()[-3] == "$ " + "x" * 50


def test_narrowing_cuts_streamed_rows_as_it_cuts_written_ones() -> None:
    """Coloured lines that streamed in whole, cut by a narrower screen and widened
    again, show the same cells as the same lines written a byte at a time."""
    data = "".join(
        f"\x1b[3{i % 8}mline {i} \x1b[1m{'x' * (i % 30)}\x1b[0m tail\r\n"
        for i in range(40)
    ).encode()
    streamed = fed(data, cols=40, rows=10)
    written = TerminalScreen(40, 10)
    for byte in data:
        written.feed(bytes([byte]))
    assert pending_segments(streamed.view_line(5)) is not None
    assert pending_segments(written.view_line(5)) is None
    for screen in (streamed, written):
        screen.resize(10, 12)
        screen.resize(10, 40)
        screen.feed(b"\x1b[2;3Hab")
    assert streamed.view_text()[:2] == ["line 31 x ta", "liab 32 xx t"]
    for row in range(10):
        assert streamed.view_cells(row) == written.view_cells(row)


def test_resize_on_the_alternate_screen_also_fits_the_primary() -> None:
    """After resizing inside vim, leaving it shows the primary screen at the new size."""
    screen = fed(numbered(20) + "$ \x1b[?1049h\x1b[Hvim", rows=24)
    screen.resize(8, 80)
    screen.feed(b"\x1b[?1049l")
    assert screen.view_text()[-1] == "$"
    assert screen.cursor_cell() == (7, 2)


def test_colours_resolve_to_the_theme_palette() -> None:
    """Named, bold, 256-colour and reverse cells get the spec's colours."""
    screen = fed(
        "\x1b[31ma\x1b[1mb\x1b[0;38;5;1mc\x1b[38;5;208md\x1b[0;7me\x1b[0;38;5;9mf"
    )
    cells = screen.view_cells(0)
    assert cell_colors(cells[0]) == ("#ef6f6f", "#0b0e13")
    assert cell_colors(cells[1]) == ("#ff8f8f", "#0b0e13")
    assert cell_colors(cells[2]) == ("#ef6f6f", "#0b0e13")
    assert cell_colors(cells[3]) == ("#ff8700", "#0b0e13")
    assert cell_colors(cells[4]) == ("#0b0e13", "#e6edf6")
    assert cell_colors(cells[5]) == ("#ff8f8f", "#0b0e13")


def test_dec_line_drawing_charset() -> None:
    """`ESC ( 0` draws box lines from ASCII letters until `ESC ( B`."""
    assert fed("\x1b(0lqqk\x1b(B ok").view_text()[0] == "┌──┐ ok"


def test_lines_for_display_at_an_offset_leaves_the_view_alone() -> None:
    """Reading rows at another scroll offset does not scroll the view."""
    screen = fed(numbered(30), rows=10)
    rows = screen.lines_for_display(5)
    assert "".join(cell.data for cell in rows[0]).rstrip() == "line 16"
    assert screen.at_bottom
    assert len(rows) == 10 and all(len(row) == 80 for row in rows)


def test_dim_conceal_and_their_resets() -> None:
    """SGR 2 dims and 8 conceals; 22 ends bold and dim together, 28 reveals."""
    screen = fed("\x1b[1;2ma\x1b[22mb\x1b[8mc\x1b[28md")
    a, b, c, d = screen.view_cells(0)[:4]
    assert a.bold and a.dim
    assert not b.bold and not b.dim
    assert c.conceal and not d.conceal
    fg, bg = cell_colors(c)
    assert fg == bg
    dim_fg, _ = cell_colors(a._replace(bold=False))
    assert dim_fg not in ("#e6edf6", "#0b0e13")


@pytest.mark.parametrize(
    ("sequence", "shape"),
    [("\x1b[2 q", 2), ("\x1b[5 q", 5), ("\x1b[ q", 0), ("\x1b[9 q", 0)],
)
def test_cursor_shape_requests(sequence: str, shape: int) -> None:
    """DECSCUSR sets the cursor shape; 0, no parameter or an unknown one is the default."""
    assert fed("\x1b[4 q" + sequence).cursor_shape == shape


def test_mouse_modes_exclude_each_other() -> None:
    """Setting one mouse tracking mode replaces another; SGR encoding is separate."""
    screen = fed("\x1b[?1000h\x1b[?1006h")
    assert (screen.mouse_tracking, screen.mouse_sgr) == (1000, True)
    screen.feed(b"\x1b[?1003h")
    assert screen.mouse_tracking == 1003
    screen.feed(b"\x1b[?1003l")
    assert screen.mouse_tracking == 0
    assert screen.mouse_sgr


def test_focus_events_and_keypad_modes() -> None:
    """`CSI ? 1004 h` asks for focus reports; `ESC =` and `ESC >` switch the keypad."""
    screen = fed("\x1b[?1004h\x1b=")
    assert screen.focus_events and screen.app_keypad
    screen.feed(b"\x1b[?1004l\x1b>")
    assert not screen.focus_events and not screen.app_keypad


def test_line_feed_below_the_scroll_region_moves_down_without_scrolling() -> None:
    """Below the bottom margin LF moves towards the last row and scrolls nothing."""
    screen = fed("top\x1b[2;4r\x1b[6;1Hx\n\ny\n\n\nz")
    text = screen.view_text()
    assert text[0] == "top"
    assert text[5] == "x" and text[7] == " y" and text[10] == "  z"
    assert screen.history_size == 0


def test_insert_and_delete_characters_use_the_background_colour() -> None:
    """ICH and DCH open blanks in the current background, as erasing does."""
    screen = fed("abcdef\x1b[1;2H\x1b[44m\x1b[2@\x1b[1;8H\x1b[P")
    cells = screen.view_cells(0)
    assert [c.data for c in cells[:8]] == ["a", " ", " ", "b", "c", "d", "e", " "]
    assert cells[1].bg == "blue" and cells[79].bg == "blue"
