"""A small exec credential plugin for the tests, speaking the ExecCredential protocol.

It reads its behaviour from files in the directory given as its first argument:
``token`` (the token to hand out), ``expires_in`` (seconds until expiry, optional),
``wrong_first`` (hand out a wrong token on the first run). Every run appends a line
to ``runs``, so a test can count how often the plugin was asked.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> int:
    state = Path(sys.argv[1])
    info = json.loads(os.environ.get("KUBERNETES_EXEC_INFO", "{}"))
    runs = state / "runs"
    count = len(runs.read_text().splitlines()) if runs.exists() else 0
    with runs.open("a") as handle:
        handle.write(
            f"{info.get('apiVersion')} interactive={info['spec']['interactive']}\n"
        )
    token = (state / "token").read_text().strip()
    if (state / "wrong_first").exists() and count == 0:
        token = "a-token-the-cluster-rejects"
    status: dict[str, str] = {"token": token}
    expires = state / "expires_in"
    if expires.exists():
        at = datetime.now(UTC) + timedelta(seconds=float(expires.read_text()))
        status["expirationTimestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = {
        "apiVersion": info.get("apiVersion"),
        "kind": "ExecCredential",
        "status": status,
    }
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
