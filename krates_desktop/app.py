"""The composition root: decides which cluster to show and builds the services for it.

The Qt side (`krates_desktop.ui.runner`) asks this module for a `Connection`, or
a `Problem` that it shows in the window instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from krates_desktop.cluster.errors import ClusterError
from krates_desktop.cluster.kubeconfig import (
    ContextInfo,
    Kubeconfig,
    TlsChoice,
    TlsConflict,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    kubeconfig: Path | None = None
    context: str | None = None
    demo: bool = False
    smoke_test: bool = False
    profile: Path | None = None
    tls_choice: TlsChoice | None = None


@dataclass(frozen=True)
class Problem:
    """Why no cluster can be shown, in words for the person at the keyboard.

    ``choices`` lists what the person may pick to go on (a TLS conflict's
    ``skip-verify`` or ``verify``); connecting again with that choice resolves it.
    """

    title: str
    body: str
    offer_demo: bool = False
    choices: tuple[TlsChoice, ...] = ()


@dataclass
class Connection:
    """A chosen context, its API client, and the sandbox behind it in demo mode."""

    context: ContextInfo
    api_client: Any
    sandbox: Any = None
    kubeconfig_path: Path | None = None
    fingerprint: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Stop the embedded sandbox, if this connection started one, and remove its files."""
        if self.sandbox is not None:
            state = Path(self.sandbox.state_dir)
            self.sandbox.stop()
            self.sandbox = None
            shutil.rmtree(state, ignore_errors=True)


def start_sandbox() -> tuple[Any, Path]:
    """Start the embedded sandbox and return it with the kubeconfig it wrote."""
    from krates_desktop.sandbox.server import Sandbox

    state = Path(tempfile.mkdtemp(prefix="krates-sandbox-"))
    box = Sandbox(port=0, state_dir=state)
    box.start_in_thread()
    path = box.write_kubeconfig(state / "kubeconfig")
    log.info("sandbox started at %s", box.url)
    return box, path


def connect(options: Options) -> Connection | Problem:
    """Pick the context named by the options; never raises for a user's mistake."""
    sandbox = None
    paths = [options.kubeconfig] if options.kubeconfig else None
    if options.demo:
        sandbox, path = start_sandbox()
        paths = [path]
    try:
        config = Kubeconfig.load(paths)
        name = options.context or (
            "krates-sandbox" if options.demo else config.current_context
        )
        if name is None:
            names = ", ".join(c.name for c in config.contexts)
            return Problem(
                "No current context",
                f"The kubeconfig at {_files(config)} sets no current-context. "
                f"Start Krates with --context NAME (one of: {names}).",
                offer_demo=True,
            )
        info = config.context(name)
        client = config.api_client(name, tls_choice=options.tls_choice)
        fingerprint = config.fingerprint(name)
    except ClusterError as exc:
        if sandbox is not None:
            sandbox.stop()
            shutil.rmtree(sandbox.state_dir, ignore_errors=True)
        return _problem_for(exc, paths)
    return Connection(
        info,
        client,
        sandbox=sandbox,
        kubeconfig_path=(paths or [None])[0],
        fingerprint=fingerprint,
    )


def _files(config: Kubeconfig) -> str:
    return ", ".join(str(p) for p in config.files) or "(none)"


def _problem_for(exc: ClusterError, paths: list[Path] | None) -> Problem:
    message = str(exc)
    if isinstance(exc, TlsConflict):
        return Problem(
            "Skip TLS verification, or verify with the CA?",
            message,
            choices=TlsConflict.choices,
        )
    if (
        paths is None
        and not os.environ.get("KUBECONFIG")
        and "does not exist" in message
    ):
        return Problem(
            "No kubeconfig found",
            f"{message}. Point KUBECONFIG or --kubeconfig at your cluster's kubeconfig, "
            "or try Krates on the built-in demo cluster.",
            offer_demo=True,
        )
    return Problem("The kubeconfig cannot be used", message, offer_demo=True)
