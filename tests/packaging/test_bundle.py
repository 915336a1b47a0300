"""The bundle as a packager ships it: built from a clean checkout, run with no Python."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import Build
from tests.packaging.helpers import PACKAGING, REPO, project_version, run

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(900)]

# Qt modules and libraries the app does not use, and FFmpeg.
UNWANTED = re.compile(
    r"Qt6(Qml|Quick|WebEngine|Multimedia|Pdf|3D|Charts|OpenGL|Designer|Test|Sql|Xml)"
    r"|libav(codec|format|util|filter|device)|libsw(scale|resample)|libx26[45]|libreadline"
)


def test_smoke_test_passes_with_no_python_and_an_empty_home(
    built: Build, bare_env: dict[str, str]
) -> None:
    """`krates --smoke-test` finds a pod, sees a log line and a shell's echo, and exits 0."""
    result = run([str(built.dist / "krates"), "--smoke-test"], bare_env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "echo prints in the shell" in result.stdout
    assert "smoke test passed" in result.stdout


def test_runs_from_a_read_only_folder_and_writes_only_its_own_folders(
    built: Build, bare_env: dict[str, str], tmp_path: Path
) -> None:
    """Mounted read-only, the bundle passes its smoke test and writes only below Krates' dirs."""
    mount = tmp_path / "ro"
    mount.mkdir()
    script = (
        f'mount --bind "{built.dist}" "{mount}" && mount -o remount,bind,ro "{mount}" '
        f'&& touch "{mount}/probe" 2>/dev/null && echo WRITABLE; exec "{mount}/krates" --smoke-test'
    )
    result = run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script], bare_env
    )
    assert "WRITABLE" not in result.stdout
    assert result.returncode == 0, result.stderr[-3000:]
    home = Path(bare_env["HOME"])
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    allowed = (".config/krates/", ".local/share/krates/", ".cache/krates/")
    assert written and all(name.startswith(allowed) for name in written), written


def test_signaling_server_answers_help_and_version(
    built: Build, bare_env: dict[str, str]
) -> None:
    """`krates-signal --help` documents its flags and `--version` prints the project version."""
    helptext = run([str(built.dist / "krates-signal"), "--help"], bare_env, timeout=30)
    assert helptext.returncode == 0, helptext.stderr
    assert "--port" in helptext.stdout and "--redis" in helptext.stdout
    version = run(
        [str(built.dist / "krates-signal"), "--version"], bare_env, timeout=30
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.split() == ["krates-signal", project_version()]


def test_version_is_the_one_in_pyproject(
    built: Build, bare_env: dict[str, str]
) -> None:
    """`krates --version` and the bundle's metadata give the version set in pyproject.toml."""
    version = project_version()
    result = run([str(built.dist / "krates"), "--version"], bare_env, timeout=30)
    assert result.stdout.split() == ["krates", version]
    metadata = (
        built.dist / "_internal" / f"krates_desktop-{version}.dist-info" / "METADATA"
    )
    assert f"Version: {version}" in metadata.read_text(encoding="utf-8").splitlines()
    metainfo = (built.dist / "share" / "metainfo" / "krates.metainfo.xml").read_text()
    assert f'<release version="{version}"' in metainfo


def test_bundle_leaves_out_ffmpeg_and_what_qt_does_not_need(built: Build) -> None:
    """No FFmpeg, readline or unused Qt module is shipped; Qt keeps only the listed plugins."""
    import sys

    sys.path.insert(0, str(PACKAGING))
    from bundle_contents import QT_PLUGINS, plugin_stem

    internal = built.dist / "_internal"
    names = [str(p.relative_to(internal)) for p in internal.rglob("*")]
    assert [n for n in names if UNWANTED.search(n)] == []
    assert [n for n in names if n.endswith(".qm")] == []
    plugins = [p for p in internal.rglob("plugins/*/*") if p.is_file()]
    assert plugins, "no Qt plugins at all"
    for plugin in plugins:
        assert plugin_stem(plugin.name) in QT_PLUGINS[plugin.parent.name], plugin
    assert {"qxcb", "qwayland", "qoffscreen"} <= {plugin_stem(p.name) for p in plugins}


def test_bundle_carries_the_media_less_av_and_the_checkout_code(built: Build) -> None:
    """`av` in the bundle is the stand-in, and the code came from the clean checkout."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(built.dist / "krates")).open_embedded_archive(
        "PYZ.pyz"
    )
    assert (
        "av._unavailable" in archive.toc and "aiortc.rtcpeerconnection" in archive.toc
    )
    analysis = (built.work / "krates" / "Analysis-00.toc").read_text(encoding="utf-8")
    assert repr(str(built.source / "krates_desktop" / "cli.py")) in analysis
    assert repr(str(REPO / "krates_desktop" / "cli.py")) not in analysis


def test_third_party_list_names_every_library_with_its_licence(built: Build) -> None:
    """Every library found in the fresh bundle appears, with its licence, in THIRD-PARTY.md."""
    import sys

    sys.path.insert(0, str(PACKAGING))
    import third_party

    committed = (PACKAGING / "THIRD-PARTY.md").read_text(encoding="utf-8").splitlines()
    shipped = (built.dist / "THIRD-PARTY.md").read_text(encoding="utf-8")
    missing = []
    for entry in third_party.inventory(built.dist):
        rows = [line for line in committed if line.startswith(f"| {entry.name} |")]
        if not any(f"| {entry.licence} |" in row for row in rows):
            missing.append(f"{entry.name} ({entry.licence})")
        assert f"| {entry.name} |" in shipped
    assert missing == [], (
        "run: python packaging/third_party.py dist/krates --out packaging/THIRD-PARTY.md"
    )


def test_credential_plugins_see_the_users_library_path(
    built: Build, bare_env: dict[str, str], tmp_path: Path, sandbox_kubeconfig: Path
) -> None:
    """A kubeconfig exec plugin started by the bundle gets the user's LD_LIBRARY_PATH, not the bundle's."""
    import yaml

    seen = tmp_path / "plugin-env"
    plugin = tmp_path / "plugin.sh"
    plugin.write_text(
        "#!/bin/sh\n"
        f'echo "LD_LIBRARY_PATH=[$LD_LIBRARY_PATH]" > "{seen}.tmp" && mv "{seen}.tmp" "{seen}"\n'
        'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
        '"status":{"token":"not-a-real-token"}}\'\n'
    )
    plugin.chmod(0o755)
    config = yaml.safe_load(sandbox_kubeconfig.read_text())
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(plugin),
            "interactiveMode": "Never",
        }
    }
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    env = {
        **bare_env,
        "LD_LIBRARY_PATH": "/opt/user-libs",
        "QT_QPA_PLATFORM": "offscreen",
    }
    app = subprocess.Popen(
        [str(built.dist / "krates"), "--kubeconfig", str(kubeconfig)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(seen, app)
    finally:
        app.terminate()
        app.wait(timeout=10)
    assert seen.read_text().strip() == "LD_LIBRARY_PATH=[/opt/user-libs]"


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(
                f"krates exited with {process.returncode}: {process.stderr.read()[-2000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail("the credential plugin never ran")
        time.sleep(0.1)
