"""Kubeconfig files merge like kubectl merges them, and errors name the file at fault."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from krates_desktop.cluster.errors import ClusterError, KubeconfigError
from krates_desktop.cluster.kubeconfig import Kubeconfig


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def env_for(*paths: Path) -> dict[str, str]:
    return {"KUBECONFIG": os.pathsep.join(str(p) for p in paths)}


@pytest.fixture
def split_config(tmp_path: Path) -> list[Path]:
    """Clusters, contexts and users in three files, as in case C01."""
    kube = tmp_path / "kube"
    write(kube / "certs" / "ca.crt", "not really a certificate\n")
    clusters = write(
        kube / "clusters.yaml",
        "clusters:\n"
        "- name: c1\n"
        "  cluster:\n"
        "    server: https://127.0.0.1:6443\n"
        "    certificate-authority: certs/ca.crt\n",
    )
    contexts = write(
        kube / "contexts.yaml",
        "contexts:\n"
        "- name: ctx-a\n"
        "  context: {cluster: c1, user: admin, namespace: team-a}\n"
        "- name: ctx-b\n"
        "  context: {cluster: c1, user: admin, namespace: team-b}\n"
        "- name: ctx-c\n"
        "  context: {cluster: c1, user: admin}\n"
        "current-context: ctx-a\n",
    )
    users = write(
        kube / "users.yaml", "users:\n- name: admin\n  user: {token: abc123}\n"
    )
    return [clusters, contexts, users]


def test_split_files_merge_into_one_config(split_config: list[Path]) -> None:
    """Three KUBECONFIG files with one section each give every context and the current one."""
    config = Kubeconfig.load(env=env_for(*split_config))

    assert [c.name for c in config.contexts] == ["ctx-a", "ctx-b", "ctx-c"]
    assert config.current_context == "ctx-a"
    current = config.context("ctx-a")
    assert current.server == "https://127.0.0.1:6443"
    assert current.user == "admin"
    assert current.source == split_config[1]
    client = config.api_client()
    assert client.configuration.host == "https://127.0.0.1:6443"
    assert client.configuration.api_key["BearerToken"] == "Bearer abc123"


def test_each_context_keeps_its_own_namespace(split_config: list[Path]) -> None:
    """A context's namespace is its own, and a context without one means default (C08)."""
    config = Kubeconfig.load(env=env_for(*split_config))

    namespaces = {c.name: c.namespace for c in config.contexts}
    assert namespaces == {"ctx-a": "team-a", "ctx-b": "team-b", "ctx-c": "default"}


def test_first_file_defining_a_name_wins(tmp_path: Path) -> None:
    """A cluster defined twice takes the first file's server; current-context the first set."""
    first = write(
        tmp_path / "a" / "config",
        "clusters:\n- name: shared\n  cluster: {server: http://127.0.0.1:1111}\n"
        "contexts:\n- name: one\n  context: {cluster: shared}\n",
    )
    second = write(
        tmp_path / "b" / "config",
        "clusters:\n- name: shared\n  cluster: {server: http://127.0.0.1:2222}\n"
        "contexts:\n- name: one\n  context: {cluster: other}\n"
        "- name: two\n  context: {cluster: shared, namespace: ops}\n"
        "current-context: two\n",
    )

    config = Kubeconfig.load([first, second])

    assert config.current_context == "two"
    assert config.context("one").cluster == "shared"
    assert config.context("one").source == first
    assert config.context("two").server == "http://127.0.0.1:1111"
    assert config.context("two").source == second


def test_relative_paths_resolve_against_their_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Certificate, key and token paths resolve per file, not against the working directory."""
    cluster_dir = tmp_path / "clusters"
    user_dir = tmp_path / "users"
    for name in ("certs/ca.crt",):
        write(cluster_dir / name, "ca\n")
    for name in ("pki/client.crt", "pki/client.key"):
        write(user_dir / name, "pem\n")
    clusters = write(
        cluster_dir / "config",
        "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n"
        "    certificate-authority: certs/ca.crt\n"
        "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n"
        "current-context: ctx\n",
    )
    users = write(
        user_dir / "config",
        "users:\n- name: u\n  user:\n    client-certificate: pki/client.crt\n"
        "    client-key: pki/client.key\n",
    )
    monkeypatch.chdir("/")

    client = Kubeconfig.load(env=env_for(clusters, users)).api_client()

    assert client.configuration.ssl_ca_cert == str(cluster_dir / "certs" / "ca.crt")
    assert client.configuration.cert_file == str(user_dir / "pki" / "client.crt")
    assert client.configuration.key_file == str(user_dir / "pki" / "client.key")


def test_token_file_resolves_against_its_file(tmp_path: Path) -> None:
    """A relative tokenFile is read from next to the kubeconfig that names it."""
    write(tmp_path / "tokens" / "me", "s3cret-token")
    path = write(
        tmp_path / "config",
        "clusters:\n- name: c\n  cluster: {server: http://127.0.0.1:1}\n"
        "users:\n- name: u\n  user: {tokenFile: tokens/me}\n"
        "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n",
    )

    client = Kubeconfig.load([path]).api_client("ctx")

    assert client.configuration.api_key["BearerToken"] == "Bearer s3cret-token"


def test_missing_certificate_names_the_resolved_path(tmp_path: Path) -> None:
    """A certificate authority that does not exist is reported with its resolved path."""
    path = write(
        tmp_path / "kube" / "config",
        "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n"
        "    certificate-authority: certs/missing.crt\n"
        "contexts:\n- name: ctx\n  context: {cluster: c}\n",
    )

    with pytest.raises(KubeconfigError) as caught:
        Kubeconfig.load([path]).api_client("ctx")

    expected = tmp_path / "kube" / "certs" / "missing.crt"
    assert str(caught.value) == (
        f"The kubeconfig at {path} names a certificate authority that does not exist: "
        f"{expected}"
    )


def test_empty_user_is_anonymous(tmp_path: Path) -> None:
    """`user: {}` (case C07) loads as an anonymous user instead of failing."""
    path = write(
        tmp_path / "config",
        "clusters:\n- name: dev\n  cluster:\n    server: https://127.0.0.1:6443\n"
        "    insecure-skip-tls-verify: true\n"
        "users:\n- name: admin\n  user: {}\n- name: blank\n  user:\n"
        "contexts:\n- name: dev\n  context: {cluster: dev, user: admin}\n"
        "- name: dev2\n  context: {cluster: dev, user: blank}\n"
        "current-context: dev\n",
    )
    config = Kubeconfig.load([path])

    for name in ("dev", "dev2"):
        client = config.api_client(name)
        assert client.configuration.api_key == {}
        assert client.configuration.verify_ssl is False
    assert config.context("dev").namespace == "default"


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A kubeconfig path that does not exist gives a sentence naming it."""
    missing = tmp_path / "x" / "config"

    with pytest.raises(KubeconfigError) as caught:
        Kubeconfig.load([missing])

    assert str(caught.value) == f"The kubeconfig at {missing} does not exist"
    assert isinstance(caught.value, ClusterError)


def test_missing_file_among_others_is_skipped(
    split_config: list[Path], tmp_path: Path
) -> None:
    """Like kubectl, a missing file in a list of several is skipped and reported."""
    missing = tmp_path / "gone.yaml"

    config = Kubeconfig.load(env=env_for(missing, *split_config))

    assert config.current_context == "ctx-a"
    assert config.problems == [f"The kubeconfig at {missing} does not exist"]


def test_default_path_when_kubeconfig_is_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without KUBECONFIG the file read is ~/.kube/config."""
    monkeypatch.setenv("HOME", str(tmp_path))
    write(
        tmp_path / ".kube" / "config",
        "clusters:\n- name: c\n  cluster: {server: http://127.0.0.1:1}\n"
        "contexts:\n- name: home\n  context: {cluster: c}\ncurrent-context: home\n",
    )

    config = Kubeconfig.load(env={})

    assert config.current_context == "home"
    assert config.files == [tmp_path / ".kube" / "config"]


def test_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    """Broken YAML is reported with the file, the line and the column."""
    path = write(
        tmp_path / "config",
        "clusters:\n- name: c\n  cluster: {server: http://127.0.0.1:1\ncontexts: []\n",
    )

    with pytest.raises(KubeconfigError) as caught:
        Kubeconfig.load([path])

    message = str(caught.value)
    assert message.startswith(
        f"The kubeconfig at {path} is not valid YAML at line 4, column"
    )
    assert "\n" not in message


def test_unknown_context_is_an_error(split_config: list[Path]) -> None:
    """Asking for a context no file defines names the context."""
    config = Kubeconfig.load(env=env_for(*split_config))

    with pytest.raises(KubeconfigError, match="has no context named nope"):
        config.api_client("nope")


def test_no_contexts_at_all_is_an_error(tmp_path: Path) -> None:
    """A kubeconfig with clusters but no contexts cannot be used, and says so."""
    path = write(tmp_path / "config", "clusters:\n- name: c\n  cluster: {server: x}\n")

    with pytest.raises(KubeconfigError) as caught:
        Kubeconfig.load([path])

    assert str(caught.value) == f"The kubeconfig at {path} defines no contexts"


def test_broken_context_does_not_break_the_others(tmp_path: Path) -> None:
    """A context naming an undefined cluster fails alone; the others still work."""
    path = write(
        tmp_path / "config",
        "clusters:\n- name: good\n  cluster: {server: http://127.0.0.1:1}\n"
        "contexts:\n- name: broken\n  context: {cluster: nowhere}\n"
        "- name: fine\n  context: {cluster: good}\n"
        "current-context: broken\n",
    )
    config = Kubeconfig.load([path])

    assert [c.name for c in config.contexts] == ["broken", "fine"]
    assert config.context("broken").server == ""
    with pytest.raises(KubeconfigError, match="names cluster nowhere"):
        config.api_client("broken")
    assert config.api_client("fine").configuration.host == "http://127.0.0.1:1"


def test_fingerprint_follows_the_cluster_not_the_name(tmp_path: Path) -> None:
    """Two cluster entries with the same CA bundle share a fingerprint; others differ."""
    ca = base64.b64encode(b"the same CA bundle").decode()
    path = write(
        tmp_path / "config",
        f"clusters:\n- name: a\n  cluster: {{server: https://10.0.0.1, "
        f"certificate-authority-data: {ca}}}\n"
        f"- name: b\n  cluster: {{server: https://lb.example, "
        f"certificate-authority-data: {ca}}}\n"
        "- name: c\n  cluster: {server: https://LB.example:443/}\n"
        "- name: d\n  cluster: {server: https://lb.example}\n"
        "contexts:\n- {name: a, context: {cluster: a}}\n- {name: b, context: {cluster: b}}\n"
        "- {name: c, context: {cluster: c}}\n- {name: d, context: {cluster: d}}\n",
    )
    config = Kubeconfig.load([path])

    assert config.fingerprint("a") == config.fingerprint("b")
    assert config.fingerprint("c") == config.fingerprint("d")
    assert config.fingerprint("a") != config.fingerprint("c")
