"""Client certificates and impersonation headers, as kube-apiserver treats them,
seen through plain HTTPS requests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests

from krates_desktop.sandbox.tls import issue_client_certificate

REVIEW = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
BODY = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}


def certificate(
    sandbox: Any, tmp_path: Path, user: str, groups: tuple[str, ...], seconds: float
) -> tuple[str, str]:
    cert, key = issue_client_certificate(
        sandbox.ca_file, sandbox.ca_key_file, user, groups, seconds
    )
    (tmp_path / "client.crt").write_text(cert)
    (tmp_path / "client.key").write_text(key)
    return str(tmp_path / "client.crt"), str(tmp_path / "client.key")


def review(sandbox: Any, **options: Any) -> requests.Response:
    return requests.post(
        sandbox.url + REVIEW,
        json=BODY,
        verify=str(sandbox.ca_file),
        timeout=30,
        **options,
    )


def test_a_certificate_names_the_user_and_groups_until_it_expires(
    sandbox: Any, tmp_path: Path
) -> None:
    pair = certificate(sandbox, tmp_path, "carol", ("ops", "dev"), 2)

    seen = review(sandbox, cert=pair).json()["status"]["userInfo"]
    time.sleep(2.5)  # past notAfter
    expired = review(sandbox, cert=pair)

    assert seen["username"] == "carol"
    assert seen["groups"] == ["ops", "dev", "system:authenticated"]
    assert expired.status_code == 401
    assert expired.json()["message"] == "Unauthorized"


def test_an_expired_certificate_next_to_a_token_lets_the_token_decide(
    sandbox: Any, tmp_path: Path
) -> None:
    pair = certificate(sandbox, tmp_path, "carol", (), -1)
    headers = {"Authorization": f"Bearer {sandbox.token_for('sandbox-viewer')}"}

    answer = review(sandbox, cert=pair, headers=headers)

    assert answer.json()["status"]["userInfo"]["username"] == "sandbox-viewer"


def test_impersonation_checks_every_part(sandbox: Any) -> None:
    viewer = {"Authorization": f"Bearer {sandbox.token_for('sandbox-viewer')}"}
    admin = {"Authorization": f"Bearer {sandbox.token}"}

    account = review(
        sandbox,
        headers={**viewer, "Impersonate-User": "system:serviceaccount:payments:api"},
    )
    groups_only = review(sandbox, headers={**admin, "Impersonate-Group": "ops"})
    as_account = review(
        sandbox,
        headers={**admin, "Impersonate-User": "system:serviceaccount:payments:api"},
    )

    assert account.status_code == 403
    assert account.json()["message"] == (
        'serviceaccounts "api" is forbidden: User "sandbox-viewer" cannot impersonate '
        'resource "serviceaccounts" in API group "" in the namespace "payments"'
    )
    assert groups_only.status_code == 400
    assert "Impersonate-User is missing" in groups_only.json()["message"]
    user = as_account.json()["status"]["userInfo"]
    assert user["username"] == "system:serviceaccount:payments:api"
