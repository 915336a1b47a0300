"""Size and build time of the PyInstaller bundle, beside PyInstaller's defaults.

Run: `.venv/bin/python bench/bundle.py` (about four minutes on two cores), or
`--dist dist/krates` to measure a bundle already built (no build time then).

1. Builds `packaging/krates.spec` into a temporary folder and times it.
2. Builds the baseline in the same run: the same two entry points with
   PyInstaller's defaults (every plugin and translation of the Qt modules used,
   the real PyAV with FFmpeg, debug symbols kept), as a first bundle of this
   stack would be built. `--no-baseline` skips it.
3. Prints, for each, the size on disk, the size as `tar.zst` (the `zstd` command,
   level 19 with all cores, as a release would be packed) and the largest parts,
   and checks the goals: under 200 MB on disk and under 80 MB compressed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "packaging" / "krates.spec"
ENTRIES = REPO / "packaging" / "entry"
GOAL_DISK_MB = 200
GOAL_COMPRESSED_MB = 80
MB = 1_000_000


def build_spec(work: Path) -> tuple[Path, float]:
    """The bundle as `make bundle` builds it; returns its folder and the build time."""
    return _pyinstaller([str(SPEC)], work, spec_given=True)


def build_baseline(work: Path) -> tuple[Path, float]:
    """Both programs with PyInstaller's defaults, into one folder (`--contents-directory`)."""
    common = [
        "--paths",
        str(REPO),
        "--hidden-import",
        "aiortc",
        "--hidden-import",
        "qasync",
        "--add-data",
        f"{REPO / 'resources'}:resources",
    ]
    folder, seconds = _pyinstaller(
        [*common, "--name", "krates", str(ENTRIES / "krates.py")], work / "app"
    )
    signal, more = _pyinstaller(
        [*common, "--name", "krates-signal", str(ENTRIES / "krates_signal.py")],
        work / "signal",
        name="krates-signal",
    )
    shutil.copytree(signal, folder, dirs_exist_ok=True)
    return folder, seconds + more


def _pyinstaller(
    args: list[str], work: Path, spec_given: bool = False, name: str = "krates"
) -> tuple[Path, float]:
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "ERROR",
        "--distpath",
        str(work / "dist"),
        "--workpath",
        str(work / "build"),
    ]
    if not spec_given:
        command += ["--specpath", str(work)]
    subprocess.run([*command, *args], cwd=REPO, check=True)
    return work / "dist" / name, time.monotonic() - started


def disk_bytes(folder: Path) -> int:
    """Bytes of the files in `folder`, links not followed (what `du --apparent-size` says)."""
    return sum(
        p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def compressed_bytes(folder: Path, level: int) -> tuple[int, float]:
    """Size of `tar | zstd -<level> -T0` of the folder, and the seconds it took."""
    started = time.monotonic()
    tar = subprocess.Popen(
        ["tar", "-C", str(folder.parent), "-cf", "-", folder.name],
        stdout=subprocess.PIPE,
    )
    packed = subprocess.run(
        ["zstd", f"-{level}", "-T0", "-q", "-c"],
        stdin=tar.stdout,
        capture_output=True,
        check=True,
    )
    tar.wait()
    return len(packed.stdout), time.monotonic() - started


def largest_parts(folder: Path, count: int = 8) -> list[tuple[str, int]]:
    """The biggest entries of `_internal/` and the programs, by bytes."""
    parts: list[tuple[str, int]] = []
    for path in list(folder.iterdir()) + list((folder / "_internal").iterdir()):
        if path.name == "_internal":
            continue
        size = disk_bytes(path) if path.is_dir() else path.lstat().st_size
        parts.append((str(path.relative_to(folder)), size))
    return sorted(parts, key=lambda part: -part[1])[:count]


def report(
    name: str, folder: Path, seconds: float | None, level: int
) -> tuple[int, int]:
    """Print one bundle's figures; returns (disk, compressed) bytes."""
    disk = disk_bytes(folder)
    packed, pack_seconds = compressed_bytes(folder, level)
    built = f"{seconds:.0f} s" if seconds is not None else "not built here"
    print(f"\n{name}: {folder}")
    print(f"  build time          {built}")
    print(f"  on disk             {disk / MB:7.1f} MB")
    print(
        f"  tar.zst -{level:<2}         {packed / MB:7.1f} MB  ({packed / 2**20:.1f} MiB, "
        f"packed in {pack_seconds:.0f} s)"
    )
    for part, size in largest_parts(folder):
        print(f"    {size / MB:7.1f} MB  {part}")
    return disk, packed


def main(argv: list[str] | None = None) -> int:
    """Build, measure and compare; exit 1 when the spec's bundle misses a goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dist", type=Path, help="measure this built bundle instead of building"
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the defaults build"
    )
    parser.add_argument("--level", type=int, default=19, help="zstd level (default 19)")
    args = parser.parse_args(argv)
    if shutil.which("zstd") is None:
        print(
            "bench/bundle.py needs the zstd command (Debian package zstd)",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="krates-bench-") as scratch:
        work = Path(scratch)
        folder, seconds = (args.dist, None) if args.dist else build_spec(work / "spec")
        disk, packed = report("packaging/krates.spec", folder, seconds, args.level)
        if not args.no_baseline:
            base_folder, base_seconds = build_baseline(work / "baseline")
            base_disk, base_packed = report(
                "PyInstaller defaults (baseline)", base_folder, base_seconds, args.level
            )
            print(
                f"\nthe spec saves {(base_disk - disk) / MB:.1f} MB on disk and "
                f"{(base_packed - packed) / MB:.1f} MB compressed"
            )
    ok = disk < GOAL_DISK_MB * MB and packed < GOAL_COMPRESSED_MB * MB
    print(
        f"goals (< {GOAL_DISK_MB} MB on disk, < {GOAL_COMPRESSED_MB} MB compressed): "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
