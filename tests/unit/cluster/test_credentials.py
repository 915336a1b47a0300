"""Credentials keep tokens out of reprs, re-read token files, and read the login shell's PATH."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from kubernetes.client import Configuration

from krates_desktop.cluster.credentials import (
    CredentialError,
    ExecPlugin,
    Masked,
    StaticToken,
    TokenFile,
    login_shell_path,
    search_path,
)


def test_masked_values_never_show_themselves() -> None:
    """repr and str of a Masked token are stars; only reveal() gives it."""
    token = Masked("s3cr3t-token")

    assert "s3cr3t" not in repr(token) and "s3cr3t" not in str(token)
    assert f"{token}" == "Masked(***)" and token.reveal() == "s3cr3t-token"


def test_static_token_is_installed_as_a_bearer_header() -> None:
    """A kubeconfig token becomes the configuration's bearer key; the object's repr hides it."""
    configuration = Configuration()
    credentials = StaticToken("abc123")

    credentials.install(configuration)

    assert configuration.api_key["BearerToken"] == "Bearer abc123"
    assert "abc123" not in repr(credentials)


def test_token_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    """A rotated token file (a projected service-account token) is picked up by the next request."""
    path = tmp_path / "token"
    path.write_text("first\n")
    configuration = Configuration()
    TokenFile(path).install(configuration)
    assert configuration.get_api_key_with_prefix("BearerToken") == "Bearer first"

    path.write_text("second-token\n")
    os.utime(path, (time.time() + 5, time.time() + 5))
    time.sleep(1.05)

    assert configuration.get_api_key_with_prefix("BearerToken") == "Bearer second-token"


def test_a_missing_token_file_is_named(tmp_path: Path) -> None:
    """A token file that vanished is an error naming the path."""
    with pytest.raises(CredentialError, match=str(tmp_path / "gone")):
        TokenFile(tmp_path / "gone").install(Configuration())


def test_login_shell_path_comes_from_the_profile(tmp_path: Path) -> None:
    """bash -l reads ~/.profile, so a folder it adds is searched for plugins."""
    (tmp_path / ".profile").write_text('export PATH="/opt/tools/bin:$PATH"\n')

    path = login_shell_path("/bin/bash", str(tmp_path))
    searched = search_path(
        {
            "SHELL": "/bin/bash",
            "HOME": str(tmp_path),
            "PATH": "/usr/bin",
            "KRATES_PLUGIN_PATH": "/extra",
        }
    )

    assert path.split(os.pathsep)[0] == "/opt/tools/bin"
    assert searched.split(os.pathsep)[:2] == ["/extra", "/opt/tools/bin"]


def test_a_failing_plugin_reports_its_exit_and_message(tmp_path: Path) -> None:
    """A plugin that exits 1 fails with its status and the first line it printed on stderr."""
    program = tmp_path / "auth"
    program.write_text("#!/bin/sh\necho 'token expired; run az login' >&2\nexit 1\n")
    program.chmod(0o755)
    plugin = ExecPlugin(
        {"command": str(program), "apiVersion": "client.authentication.k8s.io/v1"},
        tmp_path / "config",
        env={"PATH": "/usr/bin:/bin"},
    )

    with pytest.raises(CredentialError) as caught:
        plugin.refresh(Configuration(), force=True)

    assert str(caught.value) == (
        f"The credential plugin {program} failed with exit status 1: token expired; run az login"
    )


def test_an_interactive_only_plugin_is_explained(tmp_path: Path) -> None:
    """interactiveMode Always cannot prompt from a desktop app, and says what to do."""
    plugin = ExecPlugin(
        {"command": "kubelogin", "interactiveMode": "Always"},
        tmp_path / "config",
        env={},
    )

    with pytest.raises(CredentialError, match="needs an interactive terminal"):
        plugin.refresh(Configuration(), force=True)
