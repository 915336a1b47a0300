"""`krates invite` prints a link to the cluster's yard that `parse_invite` reads back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from krates_desktop.sync.invite import parse_invite
from krates_desktop.yard.store import YardStore


def _invite(
    tmp_path: Path, kubeconfig: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "krates_desktop",
            "--kubeconfig",
            str(kubeconfig),
            "--profile",
            str(tmp_path / "profile"),
            "invite",
            "--signal",
            "ws://127.0.0.1:8765",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_invite_names_the_clusters_yard(
    tmp_path: Path, sandbox_kubeconfig: Path
) -> None:
    """Two invites for the same cluster name the same yard and secret; the yard is saved."""
    first = _invite(tmp_path, sandbox_kubeconfig, "--secret-file")
    assert first.returncode == 0, first.stderr
    link = first.stdout.strip()
    assert link.startswith("krates://join?")
    invite = parse_invite(link)
    assert invite.signal == "ws://127.0.0.1:8765"
    assert invite.name == "demo-cluster"
    second = parse_invite(
        _invite(tmp_path, sandbox_kubeconfig, "--secret-file").stdout.strip()
    )
    assert (second.yard_id, second.secret.reveal()) == (
        invite.yard_id,
        invite.secret.reveal(),
    )
    assert YardStore(tmp_path / "profile" / "data").load(invite.yard_id) is not None
    assert invite.secret.reveal() not in first.stderr


def test_invite_without_a_keyring_says_so(
    tmp_path: Path, sandbox_kubeconfig: Path
) -> None:
    """With no keyring service and no --secret-file, the command explains and fails."""
    result = _invite(tmp_path, sandbox_kubeconfig)
    assert result.returncode == 2
    assert "krates invite:" in result.stderr and "keyring" in result.stderr.lower()
