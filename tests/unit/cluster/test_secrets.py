"""Secret values: bytes first, text only when UTF-8, hidden until revealed, never in a repr."""

from __future__ import annotations

import base64

from krates_desktop.cluster.secrets import SecretView, secret_values


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


SECRET = {
    "kind": "Secret",
    "metadata": {"name": "mixed"},
    "data": {
        "password": b64("pässword".encode()),
        "keystore": b64(b"\xfe\xed\xfe\xed\x00\x00\x00\x02" * 8),
        "typo": "this is not base64!",
    },
    "stringData": {"extra": "plain"},
}


def test_values_decode_to_bytes_and_text_only_when_utf8() -> None:
    """UTF-8 values read as text; binary ones have no text and round-trip to the same base64."""
    values = {v.key: v for v in secret_values(SECRET)}

    assert values["password"].text() == "pässword"
    assert values["keystore"].text() is None and values["keystore"].size == 64
    assert values["keystore"].base64() == SECRET["data"]["keystore"]
    assert not values["typo"].valid_base64
    assert values["extra"].source == "stringData" and values["extra"].text() == "plain"


def test_view_is_masked_until_revealed_and_after_hiding() -> None:
    """Masked rows show dots and sizes; revealed rows show text or hex; hiding masks again."""
    view = SecretView(SECRET)

    masked = {row.key: row.shown for row in view.rows()}
    view.reveal()
    revealed = {row.key: row.shown for row in view.rows()}
    view.hide()

    assert masked["password"] == "•••••••• (9 bytes)"
    assert revealed["password"] == "pässword"
    assert revealed["keystore"].startswith("binary, 64 bytes: fe ed fe ed 00 00 00 02")
    assert revealed["typo"] == "(not valid base64, 19 bytes as stored)"
    assert {row.key: row.shown for row in view.rows()} == masked


def test_reprs_never_show_a_value() -> None:
    """Neither the view, nor a value, nor a list of values shows decoded data in its repr."""
    view = SecretView(SECRET)
    view.reveal()
    values = secret_values(SECRET)

    text = repr(view) + repr(values) + str(values[0])

    assert "pässword" not in text and "plain" not in text
    assert repr(values[0]) == "SecretValue('password', 9 bytes)"
