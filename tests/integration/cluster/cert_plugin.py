"""An exec credential plugin for the tests that mints short-lived client certificates.

Its first argument is a directory holding ``ca.crt`` and ``ca.key`` paths (the
sandbox's CA), ``user`` and ``groups`` (one per line) to put in the certificate,
``seconds`` (how long it is valid) and optionally ``claims`` (the
``expirationTimestamp`` to report, in seconds from now, when the plugin should
lie about the expiry). Every run appends the new certificate's serial number to
``runs``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from krates_desktop.sandbox.tls import issue_client_certificate


def main() -> int:
    state = Path(sys.argv[1])
    seconds = float((state / "seconds").read_text())
    cert, key = issue_client_certificate(
        Path((state / "ca.crt").read_text()),
        Path((state / "ca.key").read_text()),
        (state / "user").read_text().strip(),
        tuple((state / "groups").read_text().split()),
        seconds,
    )
    serial = x509.load_pem_x509_certificate(cert.encode()).serial_number
    with (state / "runs").open("a") as handle:
        handle.write(f"{serial}\n")
    claims = state / "claims"
    if claims.exists():
        seconds = float(claims.read_text())
    expires = datetime.now(UTC) + timedelta(seconds=seconds)
    answer = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {
            "clientCertificateData": cert,
            "clientKeyData": key,
            "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
