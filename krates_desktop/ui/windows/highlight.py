"""Turns log lines, YAML and Describe text into coloured spans for the text view."""

from __future__ import annotations

import re

from krates_desktop.ui import theme

Span = tuple[str, str]

ANSI = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]"
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LEVEL = re.compile(r"\b(ERROR|WARNING|WARN|INFO)\b", re.IGNORECASE)
LEVEL_COLORS = {"error": theme.ERROR, "warn": theme.WARN, "warning": theme.WARN}

YAML_KEY = re.compile(r"^(\s*)(- )?([^\s:#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(\s|$)(.*)$")
YAML_SCALAR = re.compile(r"^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null|~)$")
YAML_PURPLE = "#b48cff"


def clean_log_line(raw: str) -> str:
    """Strip ANSI sequences and other control characters from one log line."""
    return CONTROL.sub("", ANSI.sub("", raw.replace("\t", "    ")))


def log_line_color(text: str) -> str:
    """Colour by the first level word, matched whole and ignoring case."""
    found = {m.group(1).lower() for m in LEVEL.finditer(text)}
    if "error" in found:
        return theme.ERROR
    if "warn" in found or "warning" in found:
        return theme.WARN
    return theme.TEXT_2


def log_spans(raw: str) -> list[Span]:
    """Return the spans of one log line: cleaned text in its level colour."""
    text = clean_log_line(raw)
    return [(text, log_line_color(text))]


def _value_color(value: str) -> str:
    stripped = value.strip()
    if stripped.startswith("#"):
        return theme.FAINT
    return YAML_PURPLE if YAML_SCALAR.match(stripped) else theme.TEXT


def yaml_spans(line: str) -> list[Span]:
    """Highlight one YAML line: keys accent, scalars purple, dashes muted."""
    if line.lstrip().startswith("#") or line.strip() in ("---", "..."):
        return [(line, theme.FAINT)]
    match = YAML_KEY.match(line)
    if match:
        indent, dash, key, sep, value = match.groups()
        spans: list[Span] = [(indent, theme.TEXT)]
        if dash:
            spans.append((dash, theme.MUTED))
        spans.append((key, theme.ACCENT))
        spans.append((":" + sep, theme.MUTED))
        if value:
            spans.append((value, _value_color(value)))
        return spans
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith("- "):
        return [
            (indent, theme.TEXT),
            ("- ", theme.MUTED),
            (stripped[2:], _value_color(stripped[2:])),
        ]
    return [(line, _value_color(line) if stripped else theme.TEXT)]


def describe_spans(line: str) -> list[Span]:
    """Highlight one Describe line: the 20-character label secondary, values primary."""
    if ":" in line[:22] and not line.startswith(" "):
        label, _, rest = line.partition(":")
        return [(label + ":", theme.TEXT_2), (rest, theme.TEXT)]
    if line.startswith("  Warning"):
        return [(line, theme.WARN)]
    return [(line, theme.TEXT)]
