"""The yard secret in a real Secret Service: gnome-keyring under dbus-run-session."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path
    from krates_desktop.sync.sealing import YardSecret
    from krates_desktop.sync.secret_store import SecretStore

    store = SecretStore(Path(sys.argv[1]))
    secret = YardSecret.generate()
    deadline = time.monotonic() + 10
    while store.where() != "keyring" and time.monotonic() < deadline:
        time.sleep(0.1)
    print("where", store.where())
    print("saved", store.save("Qm3v9cZb0kXn2s7RtY4wLg", secret))
    print("same", SecretStore(Path(sys.argv[1])).load("Qm3v9cZb0kXn2s7RtY4wLg") == secret)
    print("files", len(list(Path(sys.argv[1]).rglob("secret"))))
    store.delete("Qm3v9cZb0kXn2s7RtY4wLg")
    print("gone", store.load("Qm3v9cZb0kXn2s7RtY4wLg") is None)
    """
)


def test_secrets_go_to_the_secret_service_when_there_is_one(tmp_path: Path) -> None:
    """Under a session bus with gnome-keyring, the secret is stored there, read back, deleted, and no file is written."""
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        assert shutil.which(tool), (
            f"{tool} is not installed (Debian packages dbus-daemon, gnome-keyring)"
        )
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "probe.py").write_text(SCRIPT)
    inner = (
        "echo krates-test | gnome-keyring-daemon --unlock --components=secrets --foreground"
        " >/dev/null 2>&1 & daemon=$!;"
        f" {sys.executable} {tmp_path / 'probe.py'} {tmp_path / 'data'}; status=$?;"
        " kill $daemon; wait $daemon; exit $status"
    )
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", inner],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:5] == [
        "where keyring",
        "saved keyring",
        "same True",
        "files 0",
        "gone True",
    ]
