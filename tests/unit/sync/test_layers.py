"""Sharing's layers: no Qt in yard, sync or signaling; the server never sees the yard."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "krates_desktop"


def imports_of(subpackage: str) -> dict[str, set[str]]:
    """Every absolute import of each module of a subpackage."""
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / subpackage).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE))] = names
    return found


def offenders(subpackage: str, forbidden: tuple[str, ...]) -> list[str]:
    """Modules of `subpackage` importing anything under `forbidden`."""
    return [
        f"{module} imports {name}"
        for module, names in imports_of(subpackage).items()
        for name in sorted(names)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_no_qt_in_the_sharing_packages() -> None:
    """yard/, sync/ and signaling/ import neither PySide6, shiboken6 nor qasync."""
    for sub in ("yard", "sync", "signaling"):
        assert imports_of(sub), f"no modules found in {sub}"
        assert offenders(sub, ("PySide6", "shiboken6", "qasync")) == []


def test_the_signaling_server_never_imports_the_yard() -> None:
    """signaling/ imports nothing from the yard model, the sync layer, the UI or the cluster."""
    assert (
        offenders(
            "signaling",
            (
                "krates_desktop.yard",
                "krates_desktop.sync",
                "krates_desktop.ui",
                "krates_desktop.cluster",
            ),
        )
        == []
    )


def test_the_yard_knows_nothing_of_the_network() -> None:
    """yard/ imports neither sync/, signaling/ nor aiortc/aiohttp."""
    assert (
        offenders(
            "yard",
            ("krates_desktop.sync", "krates_desktop.signaling", "aiortc", "aiohttp"),
        )
        == []
    )
