"""`--load DIR`: creates the objects of real manifest files (YAML with several
documents per file, or JSON; `kind: List` expanded) in the sandbox at start,
CustomResourceDefinitions first and Namespaces next, each through the same
defaulting and validation as a create over the API. A document the server would
refuse (an unknown kind, a missing namespace, an invalid object) is reported in
words like kubectl's, and the rest still load.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from krates_desktop.sandbox.defaults import apply_defaults
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.status import ApiError

logger = logging.getLogger(__name__)

Json = dict[str, Any]
SUFFIXES = (".yaml", ".yml", ".json")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FIRST = {"CustomResourceDefinition": 0, "Namespace": 1}


@dataclass
class LoadReport:
    """What a load created, and what it could not (one sentence each)."""

    created: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    """One object from one file."""

    source: Path
    body: Json


def manifest_files(paths: Iterable[Path]) -> list[Path]:
    """The manifest files named, folders searched recursively, in name order."""
    found: list[Path] = []
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()
            )
        else:
            found.append(path)
    return found


def read_documents(path: Path) -> Iterator[Document]:
    """The objects of one file; an unreadable file raises ValueError."""
    try:
        text = path.read_text(encoding="utf-8")
        bodies = list(yaml.load_all(text, Loader=_LOADER))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot be read as YAML or JSON ({exc})") from exc
    for body in bodies:
        if not isinstance(body, dict):
            continue
        kind = str(body.get("kind", ""))
        if kind == "List" or (kind.endswith("List") and "items" in body):
            for item in body.get("items") or []:
                if isinstance(item, dict):
                    yield Document(path, item)
        else:
            yield Document(path, body)


class Loader:
    """Creates documents in a sandbox state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.report = LoadReport()

    def load(self, documents: list[Document]) -> LoadReport:
        """Create every document, CRDs first, then Namespaces, then the rest."""
        ordered = sorted(
            enumerate(documents),
            key=lambda item: (_FIRST.get(str(item[1].body.get("kind")), 2), item[0]),
        )
        for _, document in ordered:
            try:
                self.report.created.append(self._create(document))
            except ApiError as error:
                self.report.problems.append(
                    f"{document.source}: {_describe(document.body)} was not loaded: "
                    f"{error.message}"
                )
            except _Unmapped as error:
                self.report.problems.append(str(error))
        return self.report

    def _kind(self, document: Document) -> ResourceKind:
        body = document.body
        api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
        found = self.state.registry.by_kind(api_version, kind)
        if found is None:
            meta = body.get("metadata") or {}
            raise _Unmapped(
                f"{document.source}: resource mapping not found for name: "
                f'"{meta.get("name", "")}" namespace: "{meta.get("namespace", "")}": '
                f'no matches for kind "{kind}" in version "{api_version}" '
                "(ensure CRDs are installed first)"
            )
        return found

    def _create(self, document: Document) -> str:
        kind = self._kind(document)
        obj = copy.deepcopy(document.body)
        meta = obj.setdefault("metadata", {})
        for key in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"):
            meta.pop(key, None)
        if kind.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
            namespaces = self.state.kind("", "namespaces")
            if self.state.store.get(namespaces, "", meta["namespace"]) is None:
                raise ApiError(
                    404, "NotFound", f'namespaces "{meta["namespace"]}" not found'
                )
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            raise ApiError(422, "Invalid", "metadata.name: Required value")
        if kind.subresource("status") is not None:
            obj.pop("status", None)
        apply_defaults(kind, obj)
        stored = self.state.store.create(kind, obj)
        label = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
        return f"{label}/{stored['metadata']['name']}"


class _Unmapped(Exception):
    """A document whose kind the sandbox does not serve."""


def _describe(body: Json) -> str:
    meta = body.get("metadata") or {}
    where = f' in namespace "{meta["namespace"]}"' if meta.get("namespace") else ""
    return f'{body.get("kind", "object")} "{meta.get("name", "")}"{where}'


def load(state: SandboxState, paths: Iterable[Path]) -> LoadReport:
    """Load every manifest under `paths` into `state`."""
    documents: list[Document] = []
    problems: list[str] = []
    files = manifest_files(paths)
    for path in files:
        try:
            documents += list(read_documents(path))
        except ValueError as exc:
            problems.append(str(exc))
    report = Loader(state).load(documents)
    report.problems[:0] = problems
    logger.info(
        "loaded %d objects from %d files (%d problems)",
        len(report.created),
        len(files),
        len(report.problems),
    )
    return report
