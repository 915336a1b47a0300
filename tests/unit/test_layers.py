"""The package's layers point one way; a test walks the imports so they stay that way."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "krates_desktop"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(subpackage: str) -> list[Path]:
    return sorted((PACKAGE / subpackage).rglob("*.py")) if subpackage else []


def _offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in files:
        for name in _imports(path):
            if name.split(".")[0] in forbidden or name.startswith(forbidden):
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return bad


def test_only_ui_imports_pyside6() -> None:
    """No module outside krates_desktop/ui/ imports PySide6 or qasync."""
    outside = [
        p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts[:1]
    ]
    assert outside, "the walk found no modules"
    assert _offenders(outside, ("PySide6", "qasync", "shiboken6")) == []


def test_sandbox_and_cluster_share_no_code() -> None:
    """The sandbox never imports the cluster layer, and the cluster layer never the sandbox."""
    assert (
        _offenders(_modules("sandbox"), ("krates_desktop.cluster", "krates_desktop.ui"))
        == []
    )
    assert (
        _offenders(_modules("cluster"), ("krates_desktop.sandbox", "krates_desktop.ui"))
        == []
    )


def test_plain_layers_do_not_reach_up() -> None:
    """The terminal model and the yard model know nothing of Qt, clusters or the app."""
    for sub in ("terminal", "yard", "logs", "sync"):
        assert (
            _offenders(
                _modules(sub),
                ("krates_desktop.ui", "krates_desktop.app", "krates_desktop.sandbox"),
            )
            == []
        )


def test_signaling_server_knows_nothing_of_the_yard() -> None:
    """The signaling server never imports the yard model, the sync layer or the UI."""
    assert (
        _offenders(
            _modules("signaling"),
            ("krates_desktop.yard", "krates_desktop.sync", "krates_desktop.ui"),
        )
        == []
    )
