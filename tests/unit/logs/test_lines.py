"""Raw log bytes to lines: CRLF, CR-only and LF files, chunks split anywhere."""

from __future__ import annotations

import random
import subprocess

import pytest

from krates_desktop.logs.lines import LineAssembler
from tests.unit.logs.conftest import sample_bytes, sample_lines


def assemble(data: bytes, seed: int, largest: int = 9000) -> list[str]:
    """Lines of `data` fed in random chunks of 1 to `largest` bytes."""
    rng = random.Random(seed)
    assembler = LineAssembler()
    lines: list[str] = []
    offset = 0
    while offset < len(data):
        step = rng.randint(1, largest)
        lines.extend(assembler.feed(data[offset : offset + step]))
        offset += step
    return lines + assembler.finish()


@pytest.mark.parametrize("name", ["HDFS_2k.log", "Android_2k.log", "OpenSSH_2k.log"])
def test_crlf_samples_split_into_their_lines(name: str) -> None:
    """A real CRLF log in random chunks gives exactly its lines, no stray CR."""
    lines = assemble(sample_bytes(name), seed=len(name))
    assert lines == sample_lines(name)
    assert not any("\r" in line for line in lines)


def test_cr_only_file_splits_at_each_cr() -> None:
    """The same log with lone CR line ends (old Mac style) gives the same lines."""
    data = sample_bytes("Zookeeper_2k.log").replace(b"\r\n", b"\r")
    assert assemble(data, seed=1) == sample_lines("Zookeeper_2k.log")


def test_lf_file_and_a_crlf_split_between_chunks() -> None:
    """LF line ends work, and a CRLF cut between two chunks is one line end."""
    assembler = LineAssembler()
    assert assembler.feed(b"one\r") == []
    assert assembler.feed(b"\ntwo\nthree") == ["one", "two"]
    assert assembler.finish() == ["three"]


def test_progress_bar_after_the_first_lf_stays_one_line() -> None:
    """Once the stream has used LF, `\\r` inside a line is a progress bar redraw."""
    assembler = LineAssembler()
    lines = assembler.feed(b"start\n[=>  ] 10%\r[===>] 90%\rdone\nnext\n")
    assert lines == ["start", "[=>  ] 10%\r[===>] 90%\rdone", "next"]


def test_c13_a_latin1_byte_costs_one_character_not_the_log() -> None:
    """`printf 'caf\\xe9\\n'` between two lines gives `caf\\ufffd`; both neighbours stay."""
    data = subprocess.run(
        ["printf", r"before\ncaf\351\nafter\n"], check=True, capture_output=True
    ).stdout
    assert assemble(data, seed=3, largest=2) == ["before", "caf\ufffd", "after"]


def test_c14_block_characters_split_at_32767_bytes_decode_whole() -> None:
    """Progress bars of █ read in 32767-byte chunks have no replacement character."""
    script = "import sys\nfor _ in range(200): sys.stdout.write('█' * 5000 + '\\n')\n"
    data = subprocess.run(
        ["python3", "-c", script], check=True, capture_output=True
    ).stdout
    assembler = LineAssembler()
    lines = []
    for offset in range(0, len(data), 32767):
        lines.extend(assembler.feed(data[offset : offset + 32767]))
    lines.extend(assembler.finish())
    assert len(lines) == 200
    assert all(line == "█" * 5000 for line in lines)
