"""`krates --smoke-test` as a packager runs it: a real process, no display."""

from __future__ import annotations

import os
import subprocess
import sys


def test_smoke_test_exits_zero_without_a_display(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The smoke test finds a pod, sees a log line and a shell's echo, and exits 0."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")
    }
    env.pop("QT_QPA_PLATFORM", None)
    env["HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "krates_desktop", "--smoke-test"],
        env=env,
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
