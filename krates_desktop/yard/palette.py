"""Krate colours: the namespace palette, so every peer paints a namespace alike."""

NAMESPACE_PALETTE = (
    "#6fb1ff",
    "#a98bff",
    "#f08fd0",
    "#ff9f6b",
    "#c9d86a",
    "#7bc8a4",
    "#d6a86c",
    "#8fa3c0",
)
FIXED = {"payments": "#6fb1ff", "kube-system": "#8fa3c0"}
NEUTRAL = "#9aa7ba"


def fnv1a32(data: bytes) -> int:
    """Return the 32-bit FNV-1a hash of `data`."""
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def namespace_color(namespace: str | None) -> str:
    """Return the krate colour for a namespace; cluster-scoped objects are neutral."""
    if not namespace:
        return NEUTRAL
    if namespace in FIXED:
        return FIXED[namespace]
    return NAMESPACE_PALETTE[
        fnv1a32(namespace.encode("utf-8")) % len(NAMESPACE_PALETTE)
    ]
