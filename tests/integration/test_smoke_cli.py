"""`krates --smoke-test` as a packager runs it and `krates --demo` as a user starts
it: real processes of the installed `krates` command, no display, an empty HOME."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The console script the package installs, beside this interpreter.
KRATES = Path(sys.executable).with_name("krates")


def headless_env(home: Path) -> dict[str, str]:
    """The environment of a user with an empty HOME and no display: no DISPLAY,
    no XDG directories or kubeconfig pointing elsewhere, temporary files in HOME."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "KUBECONFIG")
        and not k.startswith("XDG_")
    }
    env["HOME"] = str(home)
    env["TMPDIR"] = str(home / "tmp")
    (home / "tmp").mkdir(exist_ok=True)
    return env


def test_smoke_test_exits_zero_without_a_display(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The smoke test finds a pod, sees a log line and a shell's echo, and exits 0."""
    result = subprocess.run(
        [str(KRATES), "--smoke-test"],
        env=headless_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "echo prints in the shell" in result.stdout
    assert "smoke test passed" in result.stdout


def test_version_and_help() -> None:
    """`krates --version` prints the version; `krates sandbox --help` documents its flags."""
    version = subprocess.run(
        [sys.executable, "-m", "krates_desktop", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert version.returncode == 0 and version.stdout.startswith("krates 0.")
    helptext = subprocess.run(
        [sys.executable, "-m", "krates_desktop", "sandbox", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "--port" in helptext.stdout and "--kubeconfig" in helptext.stdout


def _socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process `pid` holds open."""
    inodes = set()
    for fd in (Path(f"/proc/{pid}/fd")).iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _address(
    hex_address: str,
) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """An address of /proc/net/tcp{,6}: host-order hex words, then the port."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    # Each 32-bit word is in the host's (little-endian) byte order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    ip = ipaddress.ip_address(words)
    return ip, int(port, 16)


def tcp_sockets(pid: int) -> list[tuple[str, str, str]]:
    """(state, local, remote) of each TCP socket of process `pid`; state 0A is LISTEN."""
    mine = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[9] in mine:
                found.append((fields[3], fields[1], fields[2]))
    return found


def _loopback(hex_address: str) -> bool:
    ip, _ = _address(hex_address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _sandbox_dirs(home: Path) -> list[Path]:
    """The state directories of embedded sandboxes under the temporary directory."""
    return sorted((home / "tmp").glob("krates-sandbox-*"))


def test_demo_serves_on_loopback_only_writes_no_kubeconfig_and_ends_on_sigterm(
    tmp_path: Path,
) -> None:
    """`krates --demo` (offscreen, empty HOME) listens only on 127.0.0.1, talks to no
    address beyond it, leaves ~/.kube alone, and on SIGTERM exits 0 and removes its
    sandbox's files."""
    env = headless_env(tmp_path)
    env["QT_QPA_PLATFORM"] = "offscreen"
    process = subprocess.Popen(
        [str(KRATES), "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        sockets: list[tuple[str, str, str]] = []
        # Up once it listens and its own client has connected to what it serves.
        while time.monotonic() < deadline and process.poll() is None:
            sockets = tcp_sockets(process.pid)
            listening = {local for state, local, _ in sockets if state == "0A"}
            if any(
                remote in listening for state, _, remote in sockets if state == "01"
            ):
                break
            time.sleep(0.2)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        listen = [local for state, local, _ in sockets if state == "0A"]
        assert listen, sockets
        assert all(
            _address(local)[0] == ipaddress.ip_address("127.0.0.1") for local in listen
        )
        assert all(
            _loopback(local) and _loopback(remote)
            for state, local, remote in sockets
            if state != "0A"
        )
        assert not (tmp_path / ".kube").exists()
        assert _sandbox_dirs(tmp_path), list((tmp_path / "tmp").iterdir())
        os.kill(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr[-2000:]
    assert not (tmp_path / ".kube").exists()
    assert _sandbox_dirs(tmp_path) == []
