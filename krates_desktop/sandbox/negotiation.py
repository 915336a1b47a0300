"""Content negotiation: which representation a request's Accept header asks for
(plain JSON, a server-side Table, partial object metadata, aggregated discovery)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header, such as `application/json;as=Table;v=v1`."""

    type: str
    params: dict[str, str]

    def is_json(self) -> bool:
        """Whether this range accepts plain JSON."""
        return (
            self.type in ("application/json", "application/*", "*/*")
            and "as" not in self.params
        )


def parse_accept(header: str | None) -> list[MediaRange]:
    """Split an Accept header into its media ranges, in order."""
    ranges = []
    for part in (header or "").split(","):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        if not pieces:
            continue
        params = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip()] = value.strip()
        ranges.append(MediaRange(pieces[0].lower(), params))
    return ranges


def _first_special(
    header: str | None, as_values: tuple[str, ...], group: str
) -> str | None:
    """The `as=` value of the first range before any plain JSON that asks for one."""
    for media in parse_accept(header):
        if media.is_json():
            return None
        if media.params.get("as") in as_values and media.params.get("g") == group:
            return media.params["as"]
    return None


def wants_table(header: str | None) -> bool:
    """Whether the client prefers a meta.k8s.io Table."""
    return _first_special(header, ("Table",), "meta.k8s.io") is not None


def wants_partial_metadata(header: str | None) -> bool:
    """Whether the client prefers PartialObjectMetadata(List)."""
    found = _first_special(
        header, ("PartialObjectMetadata", "PartialObjectMetadataList"), "meta.k8s.io"
    )
    return found is not None


def wants_aggregated_discovery(header: str | None) -> bool:
    """Whether the client asks for APIGroupDiscoveryList (v2 or v2beta1)."""
    return (
        _first_special(header, ("APIGroupDiscoveryList",), "apidiscovery.k8s.io")
        is not None
    )
