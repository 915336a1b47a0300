"""The log pane's model is plain Python: no Qt, no cluster access, no app."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "krates_desktop" / "logs"
FORBIDDEN = (
    "PySide6",
    "shiboken6",
    "qasync",
    "krates_desktop.ui",
    "krates_desktop.cluster",
)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_logs_package_imports_neither_qt_nor_clusters() -> None:
    """No module of krates_desktop/logs imports Qt, the UI, the cluster layer or the app."""
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5
    bad = [
        f"{path.name} imports {name}"
        for path in modules
        for name in imported(path)
        if name.startswith(FORBIDDEN) or name.startswith("krates_desktop.app")
    ]
    assert bad == []
