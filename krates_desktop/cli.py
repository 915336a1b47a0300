"""The `krates` command line: the app, `--demo`, `--smoke-test`, `krates sandbox`, `krates join`.

A bare `krates://…` argument (what the desktop's URL handler passes) means
`krates join …`. While Krates runs, a later launch hands its link to the running
instance and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from krates_desktop import __version__

LINK_SCHEME = "krates"


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for `krates` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="krates",
        description="Krates Desktop: a keyboard-first Kubernetes navigator.",
    )
    parser.add_argument("--version", action="version", version=f"krates {__version__}")
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        help="kubeconfig file (default: KUBECONFIG or ~/.kube/config)",
    )
    parser.add_argument(
        "--context", help="kubeconfig context to open (default: the current one)"
    )
    parser.add_argument(
        "--demo", action="store_true", help="run against the built-in sandbox cluster"
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="start the sandbox, open a pod's Logs and Shell offscreen, exit 0 if both work",
    )
    parser.add_argument(
        "--profile", type=Path, help="keep settings and yards in this folder"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox = commands.add_parser(
        "sandbox", help="serve the sandbox Kubernetes API on 127.0.0.1"
    )
    sandbox.add_argument(
        "--port", type=int, default=0, help="port to listen on (0 picks a free one)"
    )
    sandbox.add_argument(
        "--pods",
        type=int,
        default=0,
        help="add N generated running pods (up to 50,000) for benchmarks",
    )
    sandbox.add_argument("--events", type=int, default=0, help="add N generated events")
    sandbox.add_argument(
        "--load",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="create the objects of these manifest files or folders at start (repeatable; CRDs first)",
    )
    sandbox.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="how fast the cluster moves (2 = twice as fast, 0 = frozen)",
    )
    sandbox.add_argument(
        "--kubeconfig",
        dest="sandbox_kubeconfig",
        type=Path,
        default=Path("krates-sandbox.kubeconfig"),
        help="where to write a kubeconfig for it (context krates-sandbox)",
    )
    doctor = commands.add_parser(
        "doctor", help="check every kubeconfig context: server, auth, access"
    )
    doctor.add_argument(
        "--kubeconfig",
        dest="doctor_kubeconfig",
        type=Path,
        help="kubeconfig file (default: KUBECONFIG or ~/.kube/config)",
    )
    doctor.add_argument(
        "--context",
        dest="doctor_context",
        help="the context whose health sets the exit status",
    )
    doctor.add_argument(
        "--stats",
        type=Path,
        metavar="LOGFILE",
        help="print the health figures a running Krates wrote to LOGFILE",
    )
    doctor.add_argument(
        "-v",
        "--verbose",
        dest="doctor_verbose",
        action="count",
        default=0,
        help="also print library log lines (only errors otherwise)",
    )
    invite = commands.add_parser(
        "invite", help="print an invite link to this cluster's yard"
    )
    invite.add_argument(
        "--signal",
        required=True,
        help="signaling server URL (wss://host or ws://host:port)",
    )
    invite.add_argument(
        "--secret-file",
        action="store_true",
        help="keep the yard secret in a file readable only by you when no keyring is available",
    )
    join = commands.add_parser("join", help="open an invite link (krates://join?…)")
    join.add_argument("link", help="the invite link")
    return parser


def _take_link(argv: list[str]) -> tuple[list[str], str]:
    """Split off a bare `krates://` argument, as the desktop's URL handler passes it."""
    for index, arg in enumerate(argv):
        if arg.lower().startswith(f"{LINK_SCHEME}://") and "join" not in argv[:index]:
            return argv[:index] + argv[index + 1 :], arg
    return argv, ""


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING - 10 * min(verbosity, 2)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    rest, link = _take_link(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(rest)
    verbosity = args.verbose + getattr(args, "doctor_verbose", 0)
    _configure_logging(verbosity)
    if args.command == "doctor":
        from krates_desktop.cluster import doctor as doctor_check

        if args.stats:
            return doctor_check.run_stats(args.stats)
        return doctor_check.run(
            args.doctor_kubeconfig or args.kubeconfig,
            args.doctor_context or args.context,
            verbose=verbosity > 0,
        )
    if args.command == "sandbox":
        from krates_desktop.sandbox.cli import run

        return run(
            args.port,
            args.sandbox_kubeconfig,
            pods=args.pods,
            events=args.events,
            load=args.load,
            pace=args.pace,
        )

    from krates_desktop.app import Options

    if args.command == "invite":
        return _invite(args)
    if args.command == "join":
        link = args.link
    if args.smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif _handed_off(args.profile, link):
        return 0
    options = Options(
        kubeconfig=args.kubeconfig,
        context=args.context,
        demo=args.demo or args.smoke_test,
        smoke_test=args.smoke_test,
        profile=args.profile,
    )
    from krates_desktop.ui.runner import run_gui

    return run_gui(options, link)


def _handed_off(profile: Path | None, link: str) -> bool:
    """True when a running Krates of this profile took the link (or just came forward)."""
    from krates_desktop.ui.single_instance import hand_off

    if not hand_off(profile, link):
        return False
    what = "the link" if link else "the request"
    print(f"Krates is already running; handed {what} to it.", file=sys.stderr)
    return True


if __name__ == "__main__":
    sys.exit(main())


def _invite(args: argparse.Namespace) -> int:
    from krates_desktop.sharing import InviteRequest, SharingError, create_invite

    request = InviteRequest(
        signal=args.signal,
        kubeconfig=args.kubeconfig,
        context=args.context,
        profile=args.profile,
        allow_secret_file=args.secret_file,
    )
    try:
        print(create_invite(request), flush=True)
    except SharingError as exc:
        print(f"krates invite: {exc}", file=sys.stderr)
        return 2
    return 0
