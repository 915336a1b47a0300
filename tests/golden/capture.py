"""Records the terminal golden files: real programs in a PTY, and tmux's view of them.

Each scenario runs real programs (bash, vim, less, man, top, printf, colour scripts)
in a fresh pseudo-terminal, records every byte they write, and marks checkpoints in
the stream. For each checkpoint the same bytes are replayed inside tmux, an
independent terminal emulator, and its screen (characters, attributes, cursor, which
screen is shown) becomes the expected screen. The golden tests replay the bytes
through our emulator and compare.

Run once, on a machine with the programs (`tmux`, `vim`, `vim.tiny`, `less`, `man`,
`top`), from the repository root:

    .venv/bin/python -m tests.golden.capture            # every scenario
    .venv/bin/python -m tests.golden.capture vim less   # some of them
    .venv/bin/python -m tests.golden.capture --replay   # only recompute the screens

It writes `tests/golden/data/<name>.bin` (the bytes) and `<name>.json` (the
checkpoints). Where tmux and xterm disagree, xterm is right for us; such a
checkpoint records the difference in an "xterm" entry, and the tests expect it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wcwidth import wcwidth

from tests.unit.terminal.pty_capture import PtySession

DATA = Path(__file__).resolve().parent / "data"
PROMPT = rb"\$ "

Checkpoint = dict[str, Any]


class Recorder:
    """A program in a PTY whose output is recorded, with named checkpoints."""

    def __init__(self, argv: list[str], cwd: Path, cols: int, rows: int) -> None:
        env = {
            "PS1": "$ ",
            "HISTFILE": "/dev/null",
            "LESSHISTFILE": "-",
            "MANPAGER": "less",
            "PAGER": "less",
            "LESS": "",
            "MAN_KEEP_FORMATTING": "1",
        }
        self.session = PtySession(argv, cwd=cwd, cols=cols, rows=rows, env=env)
        self.size = (cols, rows)
        self.marks: list[tuple[str, int]] = []

    def expect(self, pattern: bytes, timeout: float = 10.0) -> None:
        self.session.expect(pattern, timeout)

    def send(self, data: bytes, settle: float = 0.3) -> None:
        """Type `data` and wait until the program has drawn its answer."""
        self.session.send(data)
        self.session.settle(settle)

    def mark(self, label: str) -> None:
        """Record a checkpoint at the current end of the output."""
        self.session.settle(0.3)
        self.marks.append((label, len(self.session.output)))

    def finish(self) -> bytes:
        return self.session.finish()


# -- scenarios -------------------------------------------------------------------------


def _shell(cwd: Path, cols: int = 80, rows: int = 24) -> Recorder:
    recorder = Recorder(["bash", "--norc", "--noprofile", "-i"], cwd, cols, rows)
    recorder.expect(PROMPT)
    return recorder


def _exit(recorder: Recorder) -> None:
    recorder.send(b"exit\r")


def scenario_vim(cwd: Path, editor: str = "vim") -> Recorder:
    """vim edits a file on the alternate screen; `:wq` brings the shell back."""
    (cwd / "notes.txt").write_text("".join(f"line {n}\n" for n in range(1, 41)))
    rec = _shell(cwd)
    rec.send(b"echo before vim\r")
    rec.send(f"{editor} -u NONE -N -i NONE notes.txt\r".encode(), settle=0.6)
    rec.mark("opened")
    rec.send(b"Ohello \xe6\x97\xa5\xe6\x9c\xac\x1b")
    rec.send(b"20G")
    rec.send(b"\x06")  # Ctrl+F: a page down
    rec.mark("edited")
    rec.send(b":set number\r")
    rec.send(b"gg")
    rec.mark("numbered")
    rec.send(b":wq\r", settle=0.5)
    rec.mark("after")
    _exit(rec)
    return rec


def scenario_vim_tiny(cwd: Path) -> Recorder:
    """The same session in vim.tiny (vim-tiny, the editor Debian installs)."""
    return scenario_vim(cwd, "vim.tiny")


def scenario_less(cwd: Path) -> Recorder:
    """less pages a long file, searches it and quits back to the shell."""
    lines = [f"{n:03d} the quick brown fox jumps over the lazy dog" for n in range(200)]
    lines[57] = "057 \x1b[1;31mcoloured\x1b[0m line with \x1b[4munderline\x1b[0m"
    (cwd / "long.txt").write_text("\n".join(lines) + "\n")
    rec = _shell(cwd)
    rec.send(b"echo before less\r")
    rec.send(b"less -R long.txt\r", settle=0.5)
    rec.mark("opened")
    rec.send(b" ")
    rec.send(b" ")
    rec.mark("paged")
    rec.send(b"/fox jumps\r")
    rec.send(b"n")
    rec.mark("searched")
    rec.send(b"q", settle=0.5)
    rec.mark("after")
    _exit(rec)
    return rec


def scenario_man(cwd: Path) -> Recorder:
    """man ls in less: bold and underlined sections, a page down, then q."""
    rec = _shell(cwd)
    rec.send(b"man ls\r", settle=1.0)
    rec.mark("opened")
    rec.send(b" ")
    rec.mark("paged")
    rec.send(b"q", settle=0.5)
    rec.mark("after")
    _exit(rec)
    return rec


def scenario_top(cwd: Path) -> Recorder:
    """Interactive top redraws the whole screen; q restores the shell's screen."""
    rec = _shell(cwd)
    rec.send(b"echo before top\r")
    rec.send(b"top -d 0.4\r", settle=1.0)
    rec.mark("first")
    time.sleep(1.0)
    rec.mark("refreshed")
    rec.send(b"q", settle=0.5)
    rec.mark("after")
    _exit(rec)
    return rec


_WIDE_SCRIPT = r"""
printf '\033[2J\033[H'
printf '漢字|\n'
printf 'ab漢字cd\n'
printf '日本語\r\033[1Cx\n'
printf 'ab漢字cd\r\033[2Cy\n'
printf 'wide at edge: %0*d漢\n' 65 0
printf 'emoji 👩‍💻 ❤️ 👍🏽 end\n'
printf 'combining e\314\201 a\314\212 n\314\203 end\n'
printf '한국어 テキスト ｆｕｌｌ\n'
printf '漢字漢字\r\033[1C\033[1@\n'
printf '漢字漢字\r\033[1C\033[P\n'
printf '漢字漢字\r\033[3C\033[1X\n'
printf '\033[31m漢\033[44m字\033[0m\n'
"""


def scenario_wide(cwd: Path) -> Recorder:
    """printf of CJK, emoji, combining marks, and writes over halves of wide cells."""
    (cwd / "wide.sh").write_text(_WIDE_SCRIPT)
    rec = _shell(cwd)
    rec.send(b"clear\r")
    rec.send(b"bash wide.sh\r")
    rec.mark("printed")
    _exit(rec)
    return rec


_COLOUR_SCRIPT = r"""
for fg in 30 31 32 33 34 35 36 37 90 91 92 93 94 95 96 97; do
  printf '\033[%sm%3s\033[0m' $fg $fg
done; printf '\n'
for bg in 40 41 42 43 44 45 46 47 100 101 102 103 104 105 106 107; do
  printf '\033[%sm%4s\033[0m' $bg $bg
done; printf '\n'
i=0; while [ $i -lt 256 ]; do
  printf '\033[48;5;%dm \033[0m' $i; i=$((i+1))
  [ $((i % 64)) -eq 0 ] && printf '\n'
done
i=0; while [ $i -lt 64 ]; do
  printf '\033[38;2;%d;%d;%dm#' $((i*4)) $((255-i*4)) 128; i=$((i+1))
done; printf '\033[0m\n'
printf '\033[1mbold\033[0m \033[2mdim\033[0m \033[3mitalic\033[0m \033[4munder\033[0m '
printf '\033[5mblink\033[0m \033[7mreverse\033[0m \033[8mhidden\033[0m \033[9mstrike\033[0m\n'
printf '\033[1;31mbold red\033[22m red \033[1;2mbd\033[22m \033[38;5;208;48;5;17morange on navy\033[0m\n'
printf '\033[38:2::255:128:0mcolon rgb\033[0m \033[4:3mcurly\033[4:0m plain\n'
printf '\033[44m\033[Kblue to the edge\033[0m\n'
printf '\033[7m rev \033[27m\033[1;4;3mmixed\033[0m\n'
"""


def scenario_colours(cwd: Path) -> Recorder:
    """A colour test script: 16 colours, the 256 table, truecolour, every rendition."""
    (cwd / "colours.sh").write_text(_COLOUR_SCRIPT)
    rec = _shell(cwd)
    rec.send(b"clear\r")
    rec.send(b"bash colours.sh\r", settle=0.5)
    rec.mark("printed")
    _exit(rec)
    return rec


def scenario_alternate(cwd: Path) -> Recorder:
    """The alternate screen from printf (1049, 1047, 47) and from tput smcup/rmcup."""
    rec = _shell(cwd)
    rec.send(b"seq 1 30\r")
    rec.send(rb"printf '\e[?1049h\e[HALT 1049\n'" + b"\r")
    rec.mark("in 1049")
    rec.send(rb"printf '\e[?1049l'; echo back" + b"\r")
    rec.mark("left 1049")
    rec.send(rb"printf '\e[?1047h\e[2;3Hsecond\e[?1047l'; echo 1047 done" + b"\r")
    rec.send(rb"printf '\e[?47h\e[Hthird\e[?47l'; echo 47 done" + b"\r")
    rec.send(b"tput smcup; echo in smcup; tput cup 10 20; echo there\r")
    rec.mark("in smcup")
    rec.send(b"tput rmcup\r")
    rec.mark("after")
    _exit(rec)
    return rec


_REGION_SCRIPT = r"""
printf '\033[2J\033[H'
printf 'top line stays\n'
printf '\033[3;8r\033[3;1H'
i=1; while [ $i -le 12 ]; do printf 'region %d\n' $i; i=$((i+1)); done
printf '\033[r\033[10;1Hbelow the region\n'
printf '\033[12;1H\033[1;4mtab\tstops\tand\ttext\033[0m\n'
printf '\033[14;1Habcdef\033[3D\033[2Xgh\n'
printf '\033[15;1Hkeep the end\033[6D\033[1K\n'
printf '\033[16;1Hline to delete\n\033[16;1H\033[M\033[16;1Hafter delete\n'
printf '\033[17;1H\033[4;20r\033[20;1H\033[2S\033[r\033[17;1Hscrolled up two\n'
printf '\033[19;5H\033[1L\033[19;5Hinserted\n'
printf '\033[21;1Hrepeat:x\033[5b end\n'
"""


def scenario_regions(cwd: Path) -> Recorder:
    """Scroll regions, tabs, erases and line deletes from a script."""
    (cwd / "regions.sh").write_text(_REGION_SCRIPT)
    rec = _shell(cwd)
    rec.send(b"bash regions.sh\r")
    rec.mark("printed")
    _exit(rec)
    return rec


def scenario_wide_screen(cwd: Path) -> Recorder:
    """A 132x40 screen: ls and a coloured grep through long lines that wrap."""
    text = "".join(
        f"{n:04d} INFO worker-{n % 7} handled request id={n * 7919} in {n % 97} ms "
        f"with a payload that makes this line long enough to wrap around\n"
        for n in range(60)
    )
    (cwd / "app.log").write_text(text)
    rec = _shell(cwd, cols=132, rows=40)
    rec.send(b"grep --color=always -E 'worker-[35]' app.log\r")
    rec.mark("grepped")
    _exit(rec)
    return rec


SCENARIOS: dict[str, Callable[[Path], Recorder]] = {
    "vim": scenario_vim,
    "vim_tiny": scenario_vim_tiny,
    "less": scenario_less,
    "man": scenario_man,
    "top": scenario_top,
    "wide": scenario_wide,
    "colours": scenario_colours,
    "alternate": scenario_alternate,
    "regions": scenario_regions,
    "wide_screen": scenario_wide_screen,
}
PROGRAMS = {
    "vim": "vim",
    "vim_tiny": "vim.tiny",
    "less": "less",
    "man": "man",
    "top": "top",
}


# -- the reference screen from tmux -------------------------------------------------


def tmux_screen(data: bytes, cols: int, rows: int) -> Checkpoint:
    """Replay `data` inside a detached tmux of the given size and read its screen."""
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "stream.bin"
        stream.write_bytes(data)
        socket = str(Path(tmp) / "tmux.sock")
        tmux = ["tmux", "-S", socket, "-f", "/dev/null"]
        # No output processing and no echo: the bytes reach tmux as the program wrote them.
        command = f"stty raw -echo -opost; cat {stream}; sleep 60"
        subprocess.run(
            [
                *tmux,
                "new-session",
                "-d",
                "-x",
                str(cols),
                "-y",
                str(rows),
                command,
                ";",
                "set",
                "status",
                "off",
            ],
            check=True,
        )
        try:
            time.sleep(0.6)
            pane = subprocess.run(
                [*tmux, "capture-pane", "-p", "-e", "-N"],
                check=True,
                capture_output=True,
            ).stdout.decode("utf-8", "replace")
            fmt = "#{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on}"
            state = subprocess.run(
                [*tmux, "display", "-p", fmt], check=True, capture_output=True
            ).stdout.split()
        finally:
            subprocess.run([*tmux, "kill-server"], check=False)
    x, y, visible, alternate = (int(v) for v in state)
    lines, styles = parse_capture(pane, cols, rows)
    return {
        "cursor": [y, min(x, cols - 1)],
        "cursor_visible": bool(visible),
        "alternate": bool(alternate),
        "lines": lines,
        "styles": styles,
    }


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_NAMED = {
    **{30 + i: i for i in range(8)},
    **{90 + i: 8 + i for i in range(8)},
}
_FLAGS = {
    1: "bold",
    2: "dim",
    3: "italic",
    4: "underline",
    5: "blink",
    7: "reverse",
    8: "conceal",
    9: "strike",
}
_FLAG_OFF = {
    21: ("underline",),
    22: ("bold", "dim"),
    23: ("italic",),
    24: ("underline",),
    25: ("blink",),
    27: ("reverse",),
    28: ("conceal",),
    29: ("strike",),
}


def _apply_sgr(state: dict[str, Any], params: str) -> None:
    """Apply one SGR to a plain attribute dict (independent of the emulator)."""
    items: list[Any] = []
    for part in params.split(";") if params else ["0"]:
        if ":" in part:
            items.append([int(p) if p else 0 for p in part.split(":")])
        else:
            items.append(int(part) if part else 0)
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if isinstance(item, list):
            _apply_sub_parameters(state, item)
        elif item in (38, 48) and i < len(items):
            key = "fg" if item == 38 else "bg"
            if items[i] == 5:
                state[key] = colour_index(items[i + 1])
                i += 2
            elif items[i] == 2:
                r, g, b = items[i + 1 : i + 4]
                state[key] = f"#{r:02x}{g:02x}{b:02x}"
                i += 4
        else:
            _apply_code(state, item)


def _apply_sub_parameters(state: dict[str, Any], subs: list[int]) -> None:
    """`4:n` (underline styles) and `38:2::r:g:b` / `38:5:n` colours."""
    head = subs[0]
    if head == 4:
        if subs[1:2] == [0]:
            state.pop("underline", None)
        else:
            state["underline"] = True
    elif head in (38, 48):
        key = "fg" if head == 38 else "bg"
        if subs[1:2] == [5]:
            state[key] = colour_index(subs[2])
        elif subs[1:2] == [2]:
            r, g, b = subs[-3:]
            state[key] = f"#{r:02x}{g:02x}{b:02x}"


def _apply_code(state: dict[str, Any], code: int) -> None:
    if code == 0:
        state.clear()
    elif code in _FLAGS:
        state[_FLAGS[code]] = True
    elif code in _FLAG_OFF:
        for name in _FLAG_OFF[code]:
            state.pop(name, None)
    elif code in _NAMED:
        state["fg"] = _NAMED[code]
    elif 40 <= code <= 47 or 100 <= code <= 107:
        state["bg"] = code - 40 if code < 100 else code - 92
    elif code in (39, 49):
        state.pop("fg" if code == 39 else "bg", None)


def colour_index(index: int) -> int | str:
    """A 256-colour index as the tests compare it: 0-15 by number, the rest as hex."""
    if index < 16:
        return index
    if index < 232:
        steps = [0, 95, 135, 175, 215, 255]
        n = index - 16
        r, g, b = steps[n // 36], steps[n // 6 % 6], steps[n % 6]
        return f"#{r:02x}{g:02x}{b:02x}"
    level = 8 + 10 * (index - 232)
    return f"#{level:02x}{level:02x}{level:02x}"


def style_spec(state: dict[str, Any], char: str) -> str:
    """The comparable style of one cell; on a blank only visible parts count."""
    visible = ("bg", "reverse", "underline", "strike")
    keys = sorted(k for k in state if char.strip() or k in visible)
    return " ".join(f"{k}={state[k]}" if k in ("fg", "bg") else k for k in keys)


def parse_capture(pane: str, cols: int, rows: int) -> tuple[list[str], list[list[Any]]]:
    """Turn `capture-pane -e -N` output into text lines and style runs."""
    lines: list[str] = []
    styles: list[list[Any]] = []
    state: dict[str, Any] = {}
    for row, raw in enumerate(pane.split("\n")[:rows]):
        text, specs = [], []
        pos = 0
        for match in [*_SGR.finditer(raw), None]:
            end = match.start() if match else len(raw)
            for char in raw[pos:end]:
                width = max(0, wcwidth(char))
                if width == 0 and text:
                    text[-1] += char
                    continue
                text.append(char)
                specs.extend([style_spec(state, char)] * width)
            if match:
                _apply_sgr(state, match.group(1))
                pos = match.end()
        lines.append("".join(text).rstrip())
        styles.extend(runs_of(row, specs[:cols]))
    while len(lines) < rows:
        lines.append("")
    return lines, styles


def runs_of(row: int, specs: list[str]) -> list[list[Any]]:
    """Group equal non-empty specs of one row into [row, start, stop, spec] runs."""
    runs: list[list[Any]] = []
    for col, spec in enumerate(specs):
        if not spec:
            continue
        if runs and runs[-1][3] == spec and runs[-1][2] == col:
            runs[-1][2] = col + 1
        else:
            runs.append([row, col, col + 1, spec])
    return runs


# -- main ----------------------------------------------------------------------------


# Where tmux is not xterm: (scenario, checkpoint label or "*") -> why, and the patch.
# "lines" replaces whole rows; "runs" replaces one style run with others.
XTERM_DIFFERENCES: dict[tuple[str, str], dict[str, Any]] = {
    ("top", "*"): {
        "why": "EL with the cursor waiting to wrap erases the last column in xterm",
        "runs": [
            [[5, 0, 80, "reverse"], [[5, 0, 79, "reverse"]]],
            [[6, 0, 80, "reverse"], [[6, 0, 79, "reverse"]]],
        ],
    },
    ("colours", "printed"): {
        "why": "xterm erases with the current background (BCE); tmux's capture omits it",
        "runs": [[[11, 0, 16, "bg=4"], [[11, 0, 80, "bg=4"]]]],
    },
    ("wide", "printed"): {
        "why": (
            "xterm blanks both halves of a wide character when any part of it is "
            "written, inserted, deleted or erased; tmux keeps the orphaned half"
        ),
        "lines": {"2": " x本語", "9": "   字漢字", "10": " 字漢字", "11": "漢  漢字"},
    },
}


def xterm_patch(name: str, label: str, expected: Checkpoint) -> Checkpoint | None:
    """The xterm entry for a checkpoint, or None where tmux and xterm agree."""
    patch = XTERM_DIFFERENCES.get((name, label)) or XTERM_DIFFERENCES.get((name, "*"))
    if patch is None:
        return None
    entry: Checkpoint = {"why": patch["why"]}
    if "lines" in patch:
        entry["lines"] = patch["lines"]
    if "runs" in patch:
        styles = [list(run) for run in expected["styles"]]
        for old, new in patch["runs"]:
            if old not in styles:
                continue
            at = styles.index(old)
            styles[at : at + 1] = new
        entry["styles"] = styles
    return entry


def write(
    name: str, data: bytes, size: tuple[int, int], marks: list[tuple[str, int]]
) -> None:
    """Compute tmux's screen at each mark and write the golden files."""
    cols, rows = size
    checkpoints = []
    for label, offset in marks:
        expected = tmux_screen(data[:offset], cols, rows)
        checkpoint = {"label": label, "offset": offset, **expected}
        patch = xterm_patch(name, label, expected)
        if patch is not None:
            checkpoint["xterm"] = patch
        checkpoints.append(checkpoint)
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / f"{name}.bin").write_bytes(data)
    doc = {
        "scenario": name,
        "about": (SCENARIOS[name].__doc__ or "").strip(),
        "size": [cols, rows],
        "checkpoints": checkpoints,
    }
    (DATA / f"{name}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    print(f"{name}: {len(data)} bytes, {len(checkpoints)} checkpoints")


def replay(name: str) -> None:
    """Recompute the expected screens of recorded bytes (after a parser fix here)."""
    doc = json.loads((DATA / f"{name}.json").read_text())
    marks = [(c["label"], c["offset"]) for c in doc["checkpoints"]]
    data = (DATA / f"{name}.bin").read_bytes()
    write(name, data, tuple(doc["size"]), marks)  # type: ignore[arg-type]


def capture(name: str) -> None:
    """Run one scenario and write its golden files."""
    program = PROGRAMS.get(name)
    if program and not shutil.which(program):
        print(f"skipping {name}: {program} is not installed", file=sys.stderr)
        return
    # A fixed directory, so the bytes do not depend on a random temporary name.
    cwd = Path(tempfile.gettempdir()) / "krates-golden"
    shutil.rmtree(cwd, ignore_errors=True)
    cwd.mkdir()
    try:
        recorder = SCENARIOS[name](cwd)
        data = recorder.finish()
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    write(name, data, recorder.size, recorder.marks)


def main(argv: list[str]) -> None:
    os.environ.pop("TMUX", None)
    again = "--replay" in argv
    names = [a for a in argv if a != "--replay"] or list(SCENARIOS)
    for name in names:
        replay(name) if again else capture(name)


if __name__ == "__main__":
    main(sys.argv[1:])
