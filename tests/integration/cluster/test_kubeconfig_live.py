"""Kubeconfigs as people really have them, against the live sandbox.

Split files and relative paths (C01, C02), inline CA data and token files, a CA
next to insecure-skip-tls-verify (C06), empty users (C07), and exec credential
plugins found through the login shell's PATH, cached until they expire and
refreshed on a 401 (C04).
"""

from __future__ import annotations

import base64
import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from krates_desktop.cluster import api
from krates_desktop.cluster.cache import ClusterCache, Unreachable
from krates_desktop.cluster.credentials import ExecPlugin, PluginMissing
from krates_desktop.cluster.errors import KubeconfigError, Unauthorized
from krates_desktop.cluster.kinds import CONFIGMAP
from krates_desktop.cluster.kubeconfig import Kubeconfig, KubeconfigWatcher, TlsConflict

from .kube_support import (
    exec_user,
    install_plugin,
    plugin_runs,
    sandbox_cluster,
    watch_and_logs,
    write_kubeconfig,
)
from .streams_support import Collector

RUNNING_POD = "api-server-7c9d5-x2k4p"


def names(client: Any) -> set[str]:
    body = api.get_json(client, "/api/v1/namespaces")
    return {item["metadata"]["name"] for item in body["items"]}


def plugin_env(home: Path) -> dict[str, str]:
    """An environment like a desktop launcher's: a bare PATH, the user's HOME and shell."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "SHELL": "/bin/bash"}


def test_split_files_with_relative_paths_reach_the_cluster(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clusters, contexts and users in three files, paths relative to each file, from cwd /."""
    kube = tmp_path / "kube"
    (kube / "certs").mkdir(parents=True)
    (kube / "certs" / "ca.crt").write_bytes(Path(sandbox.ca_file).read_bytes())
    (kube / "secrets").mkdir()
    (kube / "secrets" / "token").write_text(sandbox.token + "\n")
    (kube / "clusters.yaml").write_text(
        f"clusters:\n- name: c\n  cluster:\n    server: {sandbox.url}\n"
        "    certificate-authority: certs/ca.crt\n"
    )
    (kube / "contexts.yaml").write_text(
        "contexts:\n- name: ctx-a\n  context: {cluster: c, user: u, namespace: payments}\n"
        "current-context: ctx-a\n"
    )
    (kube / "users.yaml").write_text(
        "users:\n- name: u\n  user: {tokenFile: secrets/token}\n"
    )
    monkeypatch.chdir("/")
    env = {
        "KUBECONFIG": os.pathsep.join(
            str(kube / f) for f in ("clusters.yaml", "contexts.yaml", "users.yaml")
        )
    }

    config = Kubeconfig.load(env=env)
    client = config.api_client()

    assert "payments" in names(client)
    assert config.context("ctx-a").source == kube / "contexts.yaml"
    assert config.auth_method() == "token file " + str(kube / "secrets" / "token")


def test_inline_ca_data_and_client_key_pair(sandbox: Any, tmp_path: Path) -> None:
    """certificate-authority-data verifies the server; inline client cert data lands in private files."""
    ca = base64.b64encode(Path(sandbox.ca_file).read_bytes()).decode()
    fake_pem = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n").decode()
    path = write_kubeconfig(
        tmp_path / "config",
        {"server": sandbox.url, "certificate-authority-data": ca},
        {"token": sandbox.token},
    )
    with_pair = write_kubeconfig(
        tmp_path / "pair",
        {"server": sandbox.url, "certificate-authority-data": ca},
        {"client-certificate-data": fake_pem, "client-key-data": fake_pem},
    )

    client = Kubeconfig.load([path]).api_client()
    configuration = Kubeconfig.load([with_pair]).configuration()

    assert "payments" in names(client)
    for file in (configuration.cert_file, configuration.key_file):
        assert Path(file).read_bytes() == b"-----BEGIN CERTIFICATE-----\n"
        assert Path(file).stat().st_mode & 0o077 == 0


def test_insecure_with_a_ca_asks_and_both_choices_work(
    sandbox: Any, tmp_path: Path
) -> None:
    """A CA plus insecure-skip-tls-verify is explained, and either choice then connects (C06)."""
    ca = base64.b64encode(Path(sandbox.ca_file).read_bytes()).decode()
    path = tmp_path / "config"
    path.write_text(
        f"clusters:\n- name: k3s\n  cluster:\n    server: {sandbox.url}\n"
        f"    certificate-authority-data: {ca}\n    insecure-skip-tls-verify: true\n"
        f"- name: fine\n  cluster:\n    server: {sandbox.url}\n"
        f"    certificate-authority: {sandbox.ca_file}\n"
        f"users:\n- name: u\n  user: {{token: {sandbox.token}}}\n"
        "contexts:\n- name: k3s\n  context: {cluster: k3s, user: u}\n"
        "- name: fine\n  context: {cluster: fine, user: u}\n"
        "current-context: k3s\n"
    )
    config = Kubeconfig.load([path])

    with pytest.raises(TlsConflict) as caught:
        config.api_client("k3s")

    assert "insecure-skip-tls-verify and also a certificate authority" in str(
        caught.value
    )
    assert str(path) in str(caught.value)
    assert config.tls_conflict("k3s") == str(caught.value)
    assert config.tls_conflict("fine") is None
    assert "payments" in names(config.api_client("fine"))
    skipped = config.api_client("k3s", tls_choice="skip-verify")
    assert skipped.configuration.verify_ssl is False
    assert "payments" in names(skipped)
    verified = config.api_client("k3s", tls_choice="verify")
    assert verified.configuration.verify_ssl is True
    assert "payments" in names(verified)


def test_empty_user_is_anonymous_and_refused_in_words(
    sandbox: Any, tmp_path: Path
) -> None:
    """`user: {}` loads as anonymous; the cluster's 401 comes back as a sentence (C07)."""
    path = write_kubeconfig(tmp_path / "config", sandbox_cluster(sandbox), {})
    config = Kubeconfig.load([path])

    client = config.api_client()

    assert config.auth_method() == "anonymous"
    assert config.context().namespace == "default"
    with pytest.raises(Unauthorized, match="rejected the credentials"):
        api.get_json(client, "/api/v1/namespaces")


def test_plugin_is_found_through_the_login_shell_path(
    sandbox: Any, tmp_path: Path
) -> None:
    """A plugin only the login shell's PATH knows (Homebrew) is found and run once (C04)."""
    home = tmp_path / "home"
    brew = home / "homebrew" / "bin"
    state = tmp_path / "plugin"
    install_plugin(brew, "kubelogin", state, sandbox.token)
    home.mkdir(parents=True, exist_ok=True)
    (home / ".profile").write_text('export PATH="$HOME/homebrew/bin:$PATH"\n')
    path = write_kubeconfig(
        tmp_path / "config", sandbox_cluster(sandbox), exec_user("kubelogin")
    )

    client = Kubeconfig.load([path], env=plugin_env(home)).api_client()

    assert "payments" in names(client)
    assert "payments" in names(client)
    assert plugin_runs(state) == 1
    assert "interactive=False" in (state / "runs").read_text()


def test_missing_plugin_names_the_path_and_the_install_hint(
    sandbox: Any, tmp_path: Path
) -> None:
    """A plugin that is nowhere fails with the PATH searched and its installHint; the cache says so."""
    home = tmp_path / "home"
    home.mkdir()
    hint = "Install kubelogin with: brew install Azure/kubelogin/kubelogin"
    path = write_kubeconfig(
        tmp_path / "config",
        sandbox_cluster(sandbox),
        exec_user("kubelogin", installHint=hint),
    )
    config = Kubeconfig.load([path], env=plugin_env(home))
    client = config.api_client()

    with pytest.raises(PluginMissing) as caught:
        names(client)
    statuses: Collector[Any] = Collector()
    cache = ClusterCache(client, kinds=[CONFIGMAP], on_status=statuses.add)
    cache.start()
    try:
        statuses.wait_for(
            lambda got: any(isinstance(s, Unreachable) for s in got), timeout=5
        )
    finally:
        cache.stop()

    message = str(caught.value)
    assert "The credential plugin kubelogin" in message and "was not found" in message
    assert "(searched: " in message and ":/usr/bin" in message
    assert message.endswith(hint)
    shown = next(s for s in statuses.items if isinstance(s, Unreachable))
    assert shown.message == message


def test_token_is_cached_until_expiry_then_refreshed_without_breaking_streams(
    sandbox: Any,
    sandbox_kubeconfig: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The plugin runs again only near expiry; the open watch and log stream go on meanwhile."""
    caplog.set_level(logging.DEBUG, logger="krates_desktop.cluster")
    state = tmp_path / "plugin"
    program = install_plugin(
        tmp_path / "bin", "cloud-auth", state, sandbox.token, expires_in="13"
    )
    path = write_kubeconfig(
        tmp_path / "config", sandbox_cluster(sandbox), exec_user(str(program))
    )
    client = Kubeconfig.load([path], env=plugin_env(tmp_path)).api_client()
    credentials = client.configuration.krates_credentials
    assert isinstance(credentials, ExecPlugin)
    with watch_and_logs(client) as streams:
        assert plugin_runs(state) == 1
        names(client)
        assert plugin_runs(state) == 1, "a fresh token is reused"

        time.sleep(max(0.0, (credentials.expires_in() or 0) - 5.0))
        names(client)
        assert plugin_runs(state) == 2, "refreshed shortly before it expires"
        streams.see_news(sandbox_kubeconfig)

    streams.assert_carried_on(caplog.text)


def test_a_rejected_token_is_refreshed_once_and_the_request_retried(
    sandbox: Any, tmp_path: Path
) -> None:
    """After a 401 the plugin is asked again and the request succeeds with the new token."""
    state = tmp_path / "plugin"
    program = install_plugin(
        tmp_path / "bin",
        "cloud-auth",
        state,
        sandbox.token,
        expires_in="3600",
        wrong_first="",
    )
    path = write_kubeconfig(
        tmp_path / "config", sandbox_cluster(sandbox), exec_user(str(program))
    )
    client = Kubeconfig.load([path], env=plugin_env(tmp_path)).api_client()

    assert "payments" in names(client)
    assert plugin_runs(state) == 2


def test_one_broken_context_leaves_the_others_working(
    sandbox: Any, tmp_path: Path
) -> None:
    """Bad CA data, a missing key and a dead auth-provider each fail alone, in words."""
    path = tmp_path / "config"
    path.write_text(
        f"clusters:\n- name: good\n  cluster: {{server: '{sandbox.url}', "
        f"certificate-authority: '{sandbox.ca_file}'}}\n"
        f"- name: bad-ca\n  cluster: {{server: '{sandbox.url}', "
        "certificate-authority-data: '%%% not base64'}\n"
        f"users:\n- name: u\n  user: {{token: {sandbox.token}}}\n"
        "- name: half\n  user: {client-certificate: /nowhere/cert.pem}\n"
        "- name: gcp\n  user: {auth-provider: {name: gcp}}\n"
        "contexts:\n- name: bad-ca\n  context: {cluster: bad-ca, user: u}\n"
        "- name: half\n  context: {cluster: good, user: half}\n"
        "- name: gcp\n  context: {cluster: good, user: gcp}\n"
        "- name: good\n  context: {cluster: good, user: u}\n"
        "current-context: bad-ca\n"
    )
    config = Kubeconfig.load([path])

    with pytest.raises(
        KubeconfigError,
        match="certificate-authority-data for bad-ca that is not valid base64",
    ):
        config.api_client("bad-ca")
    with pytest.raises(
        KubeconfigError,
        match="client certificate that does not exist: /nowhere/cert.pem",
    ):
        config.api_client("half")
    with pytest.raises(
        KubeconfigError, match="gcp auth-provider, which kubectl no longer supports"
    ):
        config.api_client("gcp")
    assert "payments" in names(config.api_client("good"))


def test_a_kubeconfig_changed_on_disk_is_picked_up(
    sandbox: Any, tmp_path: Path
) -> None:
    """Adding a context to the file reaches the watcher's callback with the new config."""
    path = write_kubeconfig(
        tmp_path / "config", sandbox_cluster(sandbox), {"token": sandbox.token}
    )
    config = Kubeconfig.load([path])
    seen: Collector[Any] = Collector()
    watcher = KubeconfigWatcher(config, seen.add, interval=0.1).start()
    try:
        time.sleep(0.2)
        text = path.read_text().replace(
            "contexts:\n",
            "contexts:\n- name: second\n  context: {cluster: live, user: live, namespace: ops}\n",
            1,
        )
        path.write_text(text)
        seen.wait_for(lambda got: bool(got), timeout=5)
    finally:
        watcher.stop()

    fresh = seen.items[-1]
    assert isinstance(fresh, Kubeconfig)
    assert [c.name for c in fresh.contexts] == ["second", "live"]
    assert fresh.context("second").namespace == "ops"
    assert not config.changed_on_disk() or config is not watcher.config
