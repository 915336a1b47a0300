"""Desktop integration of the bundle: install.sh registers it, xdg-open hands it links."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.conftest import Build
from tests.packaging.helpers import run

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(900)]

SECRET = (
    base64.urlsafe_b64encode(hashlib.sha256(b"desktop test").digest())
    .rstrip(b"=")
    .decode()
)
LINK = (
    "krates://join?signal=ws%3A%2F%2F127.0.0.1%3A9%2Fkrates"
    f"&yard=Qm3v9cZb0kXn2s7RtY4wLg&secret={SECRET}&name=payments-prod&cluster=9a41c07be2d3f118"
)


@pytest.fixture
def desktop_env(bare_env: dict[str, str]) -> dict[str, str]:
    """A desktop session of its own: HOME and every XDG folder under tmp_path."""
    home = Path(bare_env["HOME"])
    return {
        **bare_env,
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


@pytest.fixture
def xvfb(desktop_env: dict[str, str]) -> Iterator[str]:
    """A virtual X display started for this test; yields its DISPLAY value."""
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=desktop_env,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        assert number, "Xvfb did not report a display"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_install_registers_the_menu_entry_icons_and_link_handler(
    built: Build, desktop_env: dict[str, str]
) -> None:
    """install.sh puts a valid desktop file, icons and metainfo in place; --uninstall removes them."""
    data = Path(desktop_env["XDG_DATA_HOME"])
    installed = run([str(built.dist / "install.sh")], desktop_env, timeout=60)
    assert installed.returncode == 0, installed.stderr
    desktop = data / "applications" / "krates.desktop"
    assert f"Exec={built.dist / 'krates'} %u" in desktop.read_text().splitlines()
    assert run(["desktop-file-validate", str(desktop)], desktop_env).returncode == 0
    query = run(
        ["xdg-mime", "query", "default", "x-scheme-handler/krates"], desktop_env
    )
    assert query.stdout.strip() == "krates.desktop"
    for size in (16, 32, 48, 128, 256, 512):
        assert (
            data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "krates.png"
        ).exists()
    assert (data / "metainfo" / "krates.metainfo.xml").exists()
    linked = Path(desktop_env["HOME"]) / ".local" / "bin" / "krates"
    assert linked.resolve() == (built.dist / "krates").resolve()

    removed = run(
        [str(built.dist / "install.sh"), "--uninstall"], desktop_env, timeout=60
    )
    assert removed.returncode == 0, removed.stderr
    assert not desktop.exists() and not linked.exists()
    query = run(
        ["xdg-mime", "query", "default", "x-scheme-handler/krates"], desktop_env
    )
    assert query.stdout.strip() == ""


def test_xdg_open_hands_an_invite_link_to_the_running_instance(
    built: Build, desktop_env: dict[str, str], xvfb: str, tmp_path: Path
) -> None:
    """With the bundle registered, `xdg-open krates://join?…` reaches the Krates already running."""
    env = {**desktop_env, "DISPLAY": xvfb}
    assert run([str(built.dist / "install.sh")], env, timeout=60).returncode == 0
    log = tmp_path / "first.log"
    with log.open("w") as stderr:
        first = subprocess.Popen(
            [
                str(built.dist / "krates"),
                "-v",
                "--kubeconfig",
                str(tmp_path / "absent"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        _wait(
            lambda: any(Path(env["XDG_RUNTIME_DIR"]).glob("krates-*.sock")), first, log
        )
        opened = run(["xdg-open", LINK], env, timeout=60)
        assert opened.returncode == 0, opened.stderr
        assert "already running" in opened.stderr
        received = (
            "invite link received: yard payments-prod, signaling server 127.0.0.1"
        )
        _wait(lambda: received in log.read_text(), first, log)
    finally:
        first.terminate()
        first.wait(timeout=20)
    assert SECRET not in log.read_text()


def _wait(
    condition, process: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(
                f"krates exited with {process.returncode}: {log.read_text()[-2000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"timed out; krates logged: {log.read_text()[-2000:]}")
        time.sleep(0.1)
