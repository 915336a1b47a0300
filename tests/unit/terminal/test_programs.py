"""Golden tests: real programs run in a real PTY, their bytes fed to TerminalScreen."""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import struct
import termios
from pathlib import Path

import pytest

from krates_desktop.terminal.screen import TerminalScreen
from tests.unit.terminal.conftest import PROMPT
from tests.unit.terminal.pty_capture import PtySession, capture


def screen_of(data: bytes, cols: int = 80, rows: int = 24) -> TerminalScreen:
    """Return a screen fed with `data` in one piece."""
    screen = TerminalScreen(cols, rows)
    screen.feed(data)
    return screen


def feed_in_pieces(
    data: bytes, seed: int, cols: int = 80, rows: int = 24
) -> TerminalScreen:
    """Return a screen fed with `data` in random pieces of 1 to 7 bytes."""
    rng = random.Random(seed)
    screen = TerminalScreen(cols, rows)
    offset = 0
    while offset < len(data):
        step = rng.randint(1, 7)
        screen.feed(data[offset : offset + step])
        offset += step
    return screen


def run_vim(shell: PtySession, editor: str, path: Path) -> tuple[bytes, int]:
    """Edit `path` in `editor` from the shell; return the bytes and where `:wq` began."""
    shell.send(b"echo before\r")
    shell.expect(rb"before\r\n(?s:.*)" + PROMPT)
    shell.send(f"{editor} -u NONE -N -i NONE {path.name}\r".encode())
    shell.expect(rb"line two")
    shell.settle()
    shell.send(b"Ohello\x1b")
    shell.settle()
    inside = len(shell.output)
    shell.send(b":wq\r")
    shell.expect(PROMPT)
    shell.send(b"exit\r")
    return shell.finish(), inside


@pytest.mark.parametrize("editor", ["vim", "vim.tiny"])
def test_vim_session_leaves_the_shell_screen_as_it_was(
    shell: PtySession, tmp_path: Path, editor: str
) -> None:
    """While vim runs its own screen is shown; after `:wq` the shell's lines are back."""
    assert shutil.which(editor), f"{editor} is part of the test machine"
    path = tmp_path / "f.txt"
    path.write_text("line one\nline two\n")
    data, inside = run_vim(shell, editor, path)

    during = screen_of(data[:inside]).view_text()
    assert during[:3] == ["hello", "line one", "line two"]
    assert during[3].startswith("~")

    after = screen_of(data)
    assert after.view_text()[:5] == [
        "$ echo before",
        "before",
        f"$ {editor} -u NONE -N -i NONE f.txt",
        "$ exit",
        "exit",
    ]
    assert not after.alternate_screen
    assert not after.app_cursor
    assert all(line == "" for line in after.view_text()[5:])
    assert path.read_text() == "hello\nline one\nline two\n"


def test_vim_bytes_in_small_pieces_give_the_same_screen(
    shell: PtySession, tmp_path: Path
) -> None:
    """Sequences split anywhere across chunks give the same screen as one chunk."""
    path = tmp_path / "f.txt"
    path.write_text("line one\nline two\n")
    data, inside = run_vim(shell, "vim", path)
    for part in (data[:inside], data):
        whole = screen_of(part)
        for seed in range(5):
            pieces = feed_in_pieces(part, seed)
            assert pieces.view_text() == whole.view_text()
            assert pieces.cursor_cell() == whole.cursor_cell()
            assert pieces.view_cells(3) == whole.view_cells(3)


def test_vim_start_up_queries_do_not_disturb_the_screen(
    shell: PtySession, tmp_path: Path
) -> None:
    """vim 9's `CSI ? 4 m`, `CSI > 4;2 m`, DCS and OSC queries draw nothing and style nothing."""
    path = tmp_path / "f.txt"
    path.write_text("line one\nline two\n")
    data, inside = run_vim(shell, "vim", path)
    assert b"\x1b[?4m" in data and b"\x1b[>4;2m" in data and b"\x1bP" in data
    screen = screen_of(data[:inside])
    first_row = screen.view_cells(0)
    assert "".join(c.data for c in first_row[:5]) == "hello"
    assert not any(c.underscore or c.bold for c in first_row)
    tildes = screen.view_cells(3)
    assert tildes[0].data == "~" and tildes[0].fg == "brightblue"
    # vim asked where the cursor is; the screen answers like xterm.
    assert screen.take_replies().startswith(b"\x1b[")


def test_printf_colours_become_cell_attributes(tmp_path: Path) -> None:
    """SGR colours from printf, 16/256/true colour, land on the cells they style."""
    script = (
        r"printf '\033[31mERROR\033[0m ok\n"
        r"\033[1;32mbold\033[0m \033[38;5;208mx\033[48;2;1;2;3my\033[0m"
        r" \033[38;5;4mz\033[0m \033[38:2::255:0:0mc\033[0m\n'"
    )
    screen = screen_of(capture(["sh", "-c", script], cwd=tmp_path))
    assert screen.view_text()[:2] == ["ERROR ok", "bold xy z c"]
    row0, row1 = screen.view_cells(0), screen.view_cells(1)
    assert {c.fg for c in row0[:5]} == {"red"}
    assert row0[6].fg == "default"
    assert all(c.bold and c.fg == "green" for c in row1[:4])
    assert row1[5].fg == "ff8700"
    assert row1[6].bg == "010203" and row1[6].fg == "ff8700"
    assert row1[8].fg == "blue"
    assert row1[10].fg == "ff0000"


def test_ls_colour_listing(tmp_path: Path) -> None:
    """`ls --color=always` shows every name, directories bold blue, executables bold green."""
    (tmp_path / "adir").mkdir()
    tool = tmp_path / "btool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    (tmp_path / "cplain.txt").write_text("x")
    os.symlink("cplain.txt", tmp_path / "dlink")
    screen = screen_of(capture(["ls", "--color=always"], cwd=tmp_path))
    line = screen.view_text()[0]
    assert line.split() == ["adir", "btool", "cplain.txt", "dlink"]
    cells = screen.view_cells(0)
    adir = cells[line.index("adir")]
    btool = cells[line.index("btool")]
    plain = cells[line.index("cplain.txt")]
    assert (adir.fg, adir.bold) == ("blue", True)
    assert (btool.fg, btool.bold) == ("green", True)
    assert (plain.fg, plain.bold) == ("default", False)
    assert cells[line.index("dlink")].fg == "cyan"


def test_top_batch_output(tmp_path: Path) -> None:
    """`top -b -n 1` scrolls through the screen into the scroll-back, nothing lost."""
    screen = screen_of(capture(["top", "-b", "-n", "1", "-w", "80"], cwd=tmp_path))
    lines = [line for line in screen.view_text() if line]
    history = [
        "".join(line[x].data for x in range(80)).rstrip() for line in screen.history.top
    ]
    everything = history + lines
    assert everything[0].startswith("top - ")
    assert everything[1].startswith("Tasks:")
    assert any(line.split()[:2] == ["PID", "USER"] for line in everything)


def test_interactive_top_draws_its_header_and_restores_the_cursor(
    tmp_path: Path,
) -> None:
    """Interactive top hides the cursor and draws a reverse header; `q` gives the cursor back."""
    session = PtySession(["top", "-d", "0.3"], cwd=tmp_path)
    session.expect(rb"PID")
    session.settle(0.15, 2)
    running = len(session.output)
    session.send(b"q")
    data = session.finish()

    screen = screen_of(data[:running])
    text = screen.view_text()
    assert text[0].startswith("top - ")
    header = next(row for row, line in enumerate(text) if "PID" in line.split()[:1])
    assert all(cell.reverse for cell in screen.view_cells(header)[:40])
    assert screen.cursor_cell() is None
    assert screen.app_cursor

    screen.feed(data[running:])
    assert screen.cursor_visible
    assert not screen.app_cursor


def test_alternate_screen_from_printf(shell: PtySession) -> None:
    """`printf '\\e[?1049h'; echo ALT; ...; printf '\\e[?1049l'` leaves no trace."""
    shell.send(b"echo one\r")
    shell.expect(rb"one\r\n(?s:.*)" + PROMPT)
    shell.send(rb"printf '\e[?1049h'; echo ALT; sleep 0.2; printf '\e[?1049l'" + b"\r")
    shell.expect(rb"\x1b\[\?1049hALT\r\n")
    inside = len(shell.output)
    shell.expect(PROMPT)
    shell.send(b"exit\r")
    data = shell.finish()

    during = screen_of(data[:inside])
    assert during.alternate_screen
    assert [line for line in during.view_text() if line] == ["ALT"]
    after = screen_of(data)
    text = after.view_text()
    assert text[:2] == ["$ echo one", "one"]
    assert text[2].startswith("$ printf")
    assert text[3] == "$ exit"
    assert not any("ALT" == line for line in text)


def test_alternate_screen_keeps_scrollback_clean(shell: PtySession) -> None:
    """Output scrolled on the alternate screen never enters the scroll-back."""
    shell.send(rb"printf '\e[?1049h'; seq 1 60; printf '\e[?1049l'; echo done" + b"\r")
    shell.expect(rb"done\r\n(?s:.*)" + PROMPT)
    shell.send(b"exit\r")
    screen = screen_of(shell.finish())
    assert screen.history_size == 0
    assert screen.view_text()[1] == "done"
    assert "60" not in screen.view_text()


def test_wide_characters_from_printf(tmp_path: Path) -> None:
    """`漢字` takes four cells; `日本語` with x written over the second half shows ` x本語`."""
    screen = screen_of(capture(["printf", r"漢字|\n"], cwd=tmp_path))
    assert screen.view_text()[0] == "漢字|"
    assert [c.data for c in screen.view_cells(0)[:5]] == ["漢", "", "字", "", "|"]

    overwritten = screen_of(capture(["printf", r"日本語\033[1;2Hx"], cwd=tmp_path))
    assert overwritten.view_text()[0] == " x本語"


def test_emoji_with_zero_width_joiner_keeps_the_rest_of_the_line(
    tmp_path: Path,
) -> None:
    """ZWJ, VS16 and ZWSP join the cell before them; the text after them is kept."""
    script = "printf 'a👩\u200d💻b ❤\ufe0f c\u200bd end\\n'"
    screen = screen_of(capture(["sh", "-c", script], cwd=tmp_path))
    line = screen.view_text()[0]
    assert line.endswith(" end")
    assert line.replace("\u200d", "").replace("\ufe0f", "").replace("\u200b", "") == (
        "a👩💻b ❤ cd end"
    )


def test_block_characters_split_across_chunks(tmp_path: Path) -> None:
    """A progress bar of █ read in 32767-byte chunks decodes without a single U+FFFD."""
    script = "import sys\nfor _ in range(60): sys.stdout.write('█' * 400 + '\\n')\n"
    data = capture(["python3", "-c", script], cwd=tmp_path)
    screen = TerminalScreen(80, 24)
    for offset in range(0, len(data), 32767):
        screen.feed(data[offset : offset + 32767])
    assert all(line == "█" * 80 for line in screen.view_text()[:-1])
    kept = "".join(line[x].data for line in screen.history.top for x in range(80))
    assert "\ufffd" not in kept and set(kept) == {"█"}


def test_invalid_utf8_byte_is_replaced(tmp_path: Path) -> None:
    """`printf 'a\\xD4b'` shows a replacement character and the terminal goes on."""
    screen = screen_of(capture(["printf", r"a\324b\nnext\n"], cwd=tmp_path))
    assert screen.view_text()[:2] == ["a\ufffdb", "next"]


def test_binary_file_does_not_break_the_terminal(tmp_path: Path) -> None:
    """`cat /bin/ls` writes garbage without an error, and a reset gives a clean terminal."""
    screen = screen_of(capture(["cat", "/bin/ls"], cwd=tmp_path))
    screen.feed(b"\x1bc$ ok")
    assert screen.view_text()[0] == "$ ok"
    assert screen.cursor_cell() == (0, 4)


def test_resized_pty_and_screen_agree(shell: PtySession) -> None:
    """After a resize the prompt stays in view and `stty size` reports the new grid."""
    shell.send(b"seq 1 30\r")
    shell.expect(rb"30\r\n(?s:.*)" + PROMPT)
    before = len(shell.output)
    screen = screen_of(bytes(shell.output))
    screen.resize(10, 40)
    assert screen.view_text()[-2:] == ["30", "$"]
    assert screen.cursor_cell() == (9, 2)

    fcntl.ioctl(shell.master, termios.TIOCSWINSZ, struct.pack("HHHH", 10, 40, 0, 0))
    shell.send(b"stty size\r")
    shell.expect(rb"10 40\r\n(?s:.*)" + PROMPT)
    shell.send(b"exit\r")
    screen.feed(shell.finish()[before:])
    assert screen.view_text()[-5:] == ["$ stty size", "10 40", "$ exit", "exit", ""]
