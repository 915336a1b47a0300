"""A kubeconfig user's ``as`` fields become Impersonate-* headers; bad ones name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from krates_desktop.cluster import impersonation
from krates_desktop.cluster.errors import KubeconfigError
from krates_desktop.cluster.kubeconfig import Kubeconfig


def config(tmp_path: Path, user: str) -> Path:
    path = tmp_path / "config"
    path.write_text(
        "clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443'}\n"
        f"users:\n- name: u\n  user: {user}\n"
        "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
        "current-context: x\n",
        encoding="utf-8",
    )
    return path


def test_every_field_becomes_headers_and_doctor_names_them(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        "{token: t, as: alice, as-groups: [dev, ops], as-uid: '42', "
        "as-user-extra: {'team/name': [blue, green]}}",
    )
    kubeconfig = Kubeconfig.load([path])

    found = impersonation.of(kubeconfig.configuration())

    assert found is not None
    assert found.headers() == [
        ("Impersonate-User", "alice"),
        ("Impersonate-Group", "dev"),
        ("Impersonate-Group", "ops"),
        ("Impersonate-Uid", "42"),
        ("Impersonate-Extra-team%2Fname", "blue"),
        ("Impersonate-Extra-team%2Fname", "green"),
    ]
    assert kubeconfig.auth_method() == (
        "token, impersonating alice (groups dev, ops; uid 42; extra team/name)"
    )


def test_groups_without_a_user_are_refused_with_the_file(tmp_path: Path) -> None:
    path = config(tmp_path, "{token: t, as-groups: [dev]}")

    with pytest.raises(KubeconfigError) as caught:
        Kubeconfig.load([path]).configuration()

    assert str(caught.value) == (
        f"The user u in the kubeconfig at {path} sets as-groups, as-uid or "
        "as-user-extra without as: name the user to impersonate"
    )


def test_groups_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    path = config(tmp_path, "{token: t, as: alice, as-groups: dev}")

    with pytest.raises(KubeconfigError, match="has as-groups that are not a list"):
        Kubeconfig.load([path]).configuration()


def test_no_as_means_no_headers(tmp_path: Path) -> None:
    path = config(tmp_path, "{token: t}")

    assert impersonation.of(Kubeconfig.load([path]).configuration()) is None
