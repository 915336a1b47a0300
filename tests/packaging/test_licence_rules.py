"""The licence gate of third_party.py: which SPDX expressions can ship with an Apache-2.0 app."""

from __future__ import annotations

import sys

import pytest

from tests.packaging.helpers import PACKAGING

sys.path.insert(0, str(PACKAGING))
from third_party import NATIVE, redistributable  # noqa: E402


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("MIT", True),
        ("LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only", True),
        ("GPL-3.0-or-later WITH GCC-exception-3.1", True),
        ("MPL-2.0 AND (Apache-2.0 OR MIT)", True),
        ("BSD-3-Clause OR GPL-2.0-only", True),
        ("GPL-2.0-or-later", False),
        ("GPL-3.0-only", False),
        ("AGPL-3.0-or-later", False),
        ("MIT AND GPL-2.0-only", False),
        ("(GPL-2.0-only OR GPL-3.0-only) AND MIT", False),
    ],
)
def test_plain_gpl_is_refused_and_everything_else_passes(
    expression: str, ok: bool
) -> None:
    """Only an expression whose every option needs a plain GPL stops the bundle."""
    assert redistributable(expression) is ok


def test_every_reviewed_native_library_may_ship() -> None:
    """The reviewed table holds no library the app could not ship."""
    assert [
        name for name, (_, licence) in NATIVE.items() if not redistributable(licence)
    ] == []
