"""Lists every library in a built bundle with its licence: `THIRD-PARTY.md`.

It reads the bundle itself: the Python modules inside each program's archive, the
extension modules and shared libraries under `_internal/`, the Rust crates that
the wheels' SBOMs name, and the fonts. Python packages get their licence from the
metadata of the environment that built the bundle; native libraries from the
reviewed table `NATIVE` below (a Debian `copyright` file's `Files: *` licence is
often the licence of the tools, not of the library), with the Debian package they
came from. Anything it cannot name, or whose every licence option is a plain GPL
(which would put the whole app under the GPL), stops it with an error.

    python packaging/third_party.py dist/krates --out packaging/THIRD-PARTY.md
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
INTERNAL = "_internal"

# Native libraries by file stem (the name before ".so"): upstream, SPDX licence.
NATIVE: dict[str, tuple[str, str]] = {
    "libQt6*": ("Qt", "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"),
    "libpyside6*": ("PySide6", "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"),
    "libshiboken6*": ("Shiboken6", "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"),
    "libicu*": ("ICU", "Unicode-DFS-2016"),
    "libpython3*": ("CPython", "PSF-2.0"),
    "libcrc32c*": ("google/crc32c", "BSD-3-Clause"),
    "libX11*": ("X.Org libX11", "MIT"),
    "libXau": ("X.Org libXau", "MIT"),
    "libXdmcp": ("X.Org libXdmcp", "MIT"),
    "libxcb*": ("XCB", "MIT"),
    "libxkbcommon*": ("xkbcommon", "MIT"),
    "libwayland-*": ("Wayland", "MIT"),
    "libbrotli*": ("Brotli", "MIT"),
    "libbsd": ("libbsd", "BSD-3-Clause AND BSD-2-Clause AND ISC AND Beerware"),
    "libmd": ("libmd", "BSD-3-Clause AND BSD-2-Clause AND ISC AND Beerware"),
    "libbz2": ("bzip2", "bzip2-1.0.6"),
    "libcap": ("libcap", "BSD-3-Clause OR GPL-2.0-only"),
    "libcom_err": ("e2fsprogs com_err", "MIT"),
    "libcrypto": ("OpenSSL", "Apache-2.0"),
    "libssl": ("OpenSSL", "Apache-2.0"),
    "libdbus-1": ("D-Bus", "AFL-2.1 OR GPL-2.0-or-later"),
    "libexpat": ("Expat", "MIT"),
    "libffi": ("libffi", "MIT"),
    "libfontconfig": ("Fontconfig", "HPND-sell-variant"),
    "libfreetype": ("FreeType", "FTL OR GPL-2.0-or-later"),
    "libgcc_s": ("GCC runtime", "GPL-3.0-or-later WITH GCC-exception-3.1"),
    "libstdc++": ("GCC libstdc++", "GPL-3.0-or-later WITH GCC-exception-3.1"),
    "libgcrypt": ("Libgcrypt", "LGPL-2.1-or-later"),
    "libgpg-error": ("libgpg-error", "LGPL-2.1-or-later"),
    "libglib-2.0": ("GLib", "LGPL-2.1-or-later"),
    "libgthread-2.0": ("GLib", "LGPL-2.1-or-later"),
    "libgobject-2.0": ("GLib", "LGPL-2.1-or-later"),
    "libgio-2.0": ("GLib", "LGPL-2.1-or-later"),
    "libgmodule-2.0": ("GLib", "LGPL-2.1-or-later"),
    "libpcre2-8": ("PCRE2", "BSD-3-Clause WITH PCRE2-exception"),
    "libgssapi_krb5": ("MIT Kerberos", "MIT"),
    "libk5crypto": ("MIT Kerberos", "MIT"),
    "libkrb5": ("MIT Kerberos", "MIT"),
    "libkrb5support": ("MIT Kerberos", "MIT"),
    "libkeyutils": ("keyutils", "LGPL-2.1-or-later"),
    "liblz4": ("LZ4", "BSD-2-Clause"),
    "liblzma": ("XZ Utils", "LicenseRef-public-domain"),
    "libpng16": ("libpng", "libpng-2.0"),
    "libsystemd": ("systemd", "LGPL-2.1-or-later"),
    "libuuid": ("util-linux libuuid", "BSD-3-Clause"),
    "libz": ("zlib", "Zlib"),
    "libzstd": ("Zstandard", "BSD-3-Clause OR GPL-2.0-only"),
}

# Libraries that some wheels link statically without naming their licence (or
# without an SBOM at all), as reviewed: package -> (library, licence).
STATIC: dict[str, list[tuple[str, str]]] = {
    "cryptography": [("openssl", "Apache-2.0")],
    "pylibsrtp": [("libsrtp", "BSD-3-Clause"), ("openssl", "Apache-2.0")],
}

# Licences that the metadata of some packages spells in words.
LICENCE_WORDS = {
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "Apache 2.0": "Apache-2.0",
    "Apache License, Version 2.0": "Apache-2.0",
    "BSD License": "BSD",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "Python Software Foundation License": "PSF-2.0",
}

# Top-level modules that are not third-party: the app, the stand-in for PyAV, and
# PyInstaller's own start-up code and runtime hooks.
OWN_MODULES = {"krates_desktop", "av", "krates", "krates_signal", "user_library_path"}
PYINSTALLER_PREFIXES = ("pyimod", "pyiboot", "pyi_rth", "_pyi_rth_utils")

LEFT_OUT = """\
## Left out on purpose

- **PyAV and FFmpeg.** aiortc imports PyAV, whose wheels carry FFmpeg built with
  x264 and x265 (GPL-2.0-or-later), about 80 MB. Krates uses WebRTC data channels
  only, so the bundle ships a stand-in `av` package (`packaging/nomedia`, part of
  Krates) that names PyAV's classes and refuses every use of audio or video.
- **GNU readline** (GPL-3.0): the app has no interactive prompt.
- **Qt plugins and translations the app never loads**: TLS backends, image
  formats other than SVG, EGL/KMS/VNC platforms, network information, GTK theme
  and its libraries; see `packaging/bundle_contents.py`.
"""


class LicenceError(Exception):
    """A library in the bundle has an unknown licence, or one the app cannot ship."""


@dataclass(frozen=True)
class Entry:
    """One library in the bundle."""

    section: str
    name: str
    version: str
    licence: str
    where: str


# --- licence expressions --------------------------------------------------------


def _tokens(expression: str) -> list[str]:
    return re.findall(r"\(|\)|[^\s()]+", expression)


def redistributable(expression: str) -> bool:
    """False when every option of an SPDX expression is a plain GPL or AGPL licence.

    Such a library would make the whole bundle GPL; an option such as LGPL, a
    runtime exception (`WITH GCC-exception-3.1`) or an `OR` alternative keeps it
    shippable with an Apache-2.0 app.
    """
    tokens = _tokens(expression)
    position = 0

    def parse_or() -> bool:
        nonlocal position
        ok = parse_and()
        while position < len(tokens) and tokens[position].upper() == "OR":
            position += 1
            ok = parse_and() or ok
        return ok

    def parse_and() -> bool:
        nonlocal position
        ok = parse_term()
        while position < len(tokens) and tokens[position].upper() == "AND":
            position += 1
            ok = parse_term() and ok
        return ok

    def parse_term() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            ok = parse_or()
            position += 1
            return ok
        if position < len(tokens) and tokens[position].upper() == "WITH":
            position += 2
            return True
        return not re.match(r"^A?GPL-", token, re.IGNORECASE)

    return parse_or()


# --- Python packages --------------------------------------------------------------


def _archive_modules(program: Path) -> set[str]:
    from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped]
    from PyInstaller.loader.pyimod01_archive import (  # type: ignore[import-untyped]
        ArchiveReadError,
    )

    try:
        archive = CArchiveReader(str(program))
    except (ArchiveReadError, OSError, ValueError):
        return set()
    names = {name for name in archive.toc if name != "PYZ.pyz"}
    if "PYZ.pyz" in archive.toc:
        names |= set(archive.open_embedded_archive("PYZ.pyz").toc)
    return names


# The first bytes of ELF, PE and Mach-O (both byte orders, 32 and 64 bits) programs.
PROGRAM_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xca\xfe\xba\xbe",
)


def _programs(bundle: Path) -> list[Path]:
    """The executables at the top of the bundle (not install.sh)."""
    found = []
    for path in sorted(bundle.iterdir()):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4).startswith(PROGRAM_MAGIC):
                    found.append(path)
    return found


def bundled_modules(bundle: Path) -> set[str]:
    """Top-level Python modules and packages the bundle carries."""
    names: set[str] = set()
    for program in _programs(bundle):
        names |= {name.split(".")[0] for name in _archive_modules(program)}
    internal = bundle / INTERNAL
    for path in internal.iterdir():
        if path.is_dir() and (path / "__init__.py").exists() or _is_extension(path):
            names.add(path.name.split(".")[0])
        elif (
            path.is_dir()
            and path.name.isidentifier()
            and any(_is_extension(p) for p in path.rglob("*.so"))
        ):
            names.add(path.name)
    return names


def _is_extension(path: Path) -> bool:
    return bool(re.search(r"\.(cpython-[^.]+|abi3)\.(so|pyd)$", path.name))


def _licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = (meta.get_all("License-Expression") or [""])[0]
    if expression:
        return str(expression)
    text = str((meta.get_all("License") or [""])[0]).strip()
    if text and "\n" not in text and len(text) < 60:
        return LICENCE_WORDS.get(text, text)
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    words = [LICENCE_WORDS.get(c, c) for c in classifiers if c != "OSI Approved"]
    if words:
        return " OR ".join(words)
    raise LicenceError(
        f"{meta['Name']} {dist.version} states no licence: review it by hand"
    )


def python_packages(bundle: Path) -> tuple[list[Entry], set[str]]:
    """One entry per distribution whose modules are in the bundle, and the dists' names."""
    owners = metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for module in sorted(bundled_modules(bundle)):
        if module in OWN_MODULES or module.startswith(PYINSTALLER_PREFIXES):
            continue
        if module in sys.stdlib_module_names or module.startswith("_sysconfigdata"):
            continue
        dists = owners.get(module)
        if not dists:
            raise LicenceError(
                f"no installed package provides the bundled module {module!r}"
            )
        for owner in dists:
            found.setdefault(owner, set()).add(module)
    entries = []
    for name, modules in sorted(found.items(), key=lambda item: item[0].lower()):
        dist = metadata.distribution(name)
        entries.append(
            Entry(
                "python",
                dist.metadata["Name"],
                dist.version,
                _licence_of(dist),
                ", ".join(sorted(modules)),
            )
        )
    return entries, set(found)


def compiled_in(dist_names: Iterable[str]) -> list[Entry]:
    """Libraries compiled into the bundled packages: their SBOMs, and `STATIC`."""
    entries = []
    for name in sorted(dist_names, key=str.lower):
        dist = metadata.distribution(name)
        owner = dist.metadata["Name"]
        for file in dist.files or []:
            if "sboms/" in str(file) and str(file).endswith(".json"):
                entries += _sbom_entries(owner, Path(str(dist.locate_file(file))))
        named = {e.name for e in entries if e.where == f"inside {owner}"}
        entries += [
            Entry("compiled", lib, "", licence, f"inside {owner}")
            for lib, licence in STATIC.get(owner, [])
            if lib not in named
        ]
    return entries


def _sbom_entries(owner: str, sbom: Path) -> list[Entry]:
    document = json.loads(sbom.read_text(encoding="utf-8"))
    root = document.get("metadata", {}).get("component", {}).get("name")
    entries = []
    for component in document.get("components", []):
        if component.get("name") == root or component.get("type") != "library":
            continue
        licences = [
            item.get("expression") or item.get("license", {}).get("id") or ""
            for item in component.get("licenses") or []
        ]
        licence = " AND ".join(filter(None, licences)) or _static_licence(
            owner, component
        )
        entries.append(
            Entry(
                "compiled",
                component["name"],
                component.get("version", ""),
                licence,
                f"inside {owner}",
            )
        )
    return entries


def _static_licence(owner: str, component: dict[str, str]) -> str:
    for library, licence in STATIC.get(owner, []):
        if library == component.get("name"):
            return licence
    raise LicenceError(
        f"the SBOM of {owner} names {component.get('name')} with no licence: review it "
        "and add it to STATIC"
    )


# --- native libraries ---------------------------------------------------------------


def _native_files(bundle: Path) -> Iterator[Path]:
    for path in sorted((bundle / INTERNAL).rglob("*")):
        if path.is_symlink() or not path.is_file() or _is_extension(path):
            continue
        if (
            re.search(r"\.(so(\.[\d.]+)?|dll|dylib)$", path.name)
            and "plugins" not in path.parts
        ):
            yield path


def _stem(path: Path) -> str:
    return re.split(r"\.(so|dll|dylib)", path.name)[0].removesuffix(".abi3")


def _lookup_native(stem: str) -> tuple[str, str] | None:
    for pattern, value in NATIVE.items():
        if stem == pattern or pattern.endswith("*") and stem.startswith(pattern[:-1]):
            return value
    return None


def _debian_package(filename: str) -> str:
    """The Debian package that installs a library of this name on the build machine."""
    for folder in (
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ):
        candidate = Path(folder) / filename
        if not candidate.exists():
            continue
        real = candidate.resolve()
        # With a merged /usr, dpkg may know the file under /lib instead of /usr/lib.
        for path in (str(real), str(real).removeprefix("/usr")):
            try:
                found = subprocess.run(
                    ["dpkg", "-S", path], capture_output=True, text=True, check=False
                )
            except OSError:
                return ""
            if found.returncode == 0:
                return found.stdout.split(":", 1)[0]
    return ""


def _origin(bundle: Path, path: Path) -> str:
    relative = path.relative_to(bundle / INTERNAL)
    if path.name.startswith("libpython"):
        return "the Python that built the bundle"
    if len(relative.parts) > 1:
        return f"the {relative.parts[0]} wheel"
    package = _debian_package(path.name)
    return f"Debian package {package}" if package else "the build machine"


def native_libraries(bundle: Path) -> list[Entry]:
    """Shared libraries beside the Python code, with the reviewed licence of each."""
    entries = []
    for path in _native_files(bundle):
        stem = _stem(path)
        known = _lookup_native(stem)
        if known is None:
            raise LicenceError(
                f"{path.relative_to(bundle)} is not in the reviewed NATIVE table of "
                f"{Path(__file__).name}: check its licence and add it"
            )
        upstream, licence = known
        relative = path.relative_to(bundle / INTERNAL)
        entries.append(
            Entry(
                "native",
                path.name,
                upstream,
                licence,
                f"{relative} (from {_origin(bundle, path)})",
            )
        )
    return entries


def qt_plugins(bundle: Path) -> list[Entry]:
    """The Qt plugins kept in the bundle, as one entry."""
    plugins = sorted((bundle / INTERNAL).rglob("plugins/*/*"))
    names = [
        f"{p.parent.name}/{_stem(p).removeprefix('lib')}"
        for p in plugins
        if p.is_file()
    ]
    if not names:
        return []
    return [Entry("native", "Qt plugins", "Qt", NATIVE["libQt6*"][1], ", ".join(names))]


def resources(bundle: Path) -> list[Entry]:
    """Fonts and other files that are not code."""
    entries = []
    fonts = sorted((bundle / INTERNAL / "resources" / "fonts").glob("IBMPlex*"))
    if fonts:
        families = sorted({re.sub(r"-.*", "", f.name) for f in fonts})
        entries.append(
            Entry(
                "resource",
                "IBM Plex",
                "",
                "OFL-1.1",
                ", ".join(families) + " (resources/fonts, with OFL.txt)",
            )
        )
    if (bundle / INTERNAL / "certifi").exists():
        entries.append(
            Entry(
                "resource",
                "Mozilla CA certificates",
                "",
                "MPL-2.0",
                "certifi/cacert.pem",
            )
        )
    return entries


def runtime(bundle: Path) -> list[Entry]:
    """Python's standard library and PyInstaller's start-up code."""
    import PyInstaller  # type: ignore[import-untyped]

    return [
        Entry(
            "runtime",
            "Python standard library",
            sys.version.split()[0],
            "PSF-2.0",
            "base_library.zip, python3.*/lib-dynload, the programs' archives",
        ),
        Entry(
            "runtime",
            "PyInstaller bootloader and runtime",
            PyInstaller.__version__,
            "GPL-2.0-or-later WITH Bootloader-exception",
            ", ".join(p.name for p in _programs(bundle) if _archive_modules(p)),
        ),
    ]


# --- the document -----------------------------------------------------------------


def inventory(bundle: Path) -> list[Entry]:
    """Every library in the bundle; raises LicenceError for one the app cannot ship."""
    python, dists = python_packages(bundle)
    entries = (
        runtime(bundle)
        + python
        + compiled_in(dists)
        + native_libraries(bundle)
        + qt_plugins(bundle)
        + resources(bundle)
    )
    refused = [e for e in entries if not redistributable(e.licence)]
    if refused:
        names = ", ".join(f"{e.name} ({e.licence})" for e in refused)
        raise LicenceError(
            f"the bundle holds GPL-only code the app cannot ship: {names}"
        )
    return entries


SECTIONS = (
    (
        "runtime",
        "Python and PyInstaller",
        ("component", "version", "licence", "in the bundle"),
    ),
    ("python", "Python packages", ("package", "version", "licence", "modules")),
    (
        "compiled",
        "Libraries compiled into Python packages",
        ("library", "version", "licence", "where"),
    ),
    ("native", "Native libraries", ("file", "project", "licence", "where")),
    ("resource", "Fonts and data", ("name", "version", "licence", "where")),
)


def render(bundle: Path) -> str:
    """THIRD-PARTY.md for the bundle at `bundle`."""
    entries = inventory(Path(bundle))
    lines = [
        "# Third-party software in the Krates bundle",
        "",
        "Generated by `packaging/third_party.py` from the contents of the bundle;",
        "do not edit by hand. Krates itself is licensed under Apache-2.0. Every",
        "library below may be redistributed with it: no entry's only licence is a",
        "plain GPL. Qt, GLib and the other LGPL libraries are separate shared",
        "libraries in `_internal/` that can be replaced, and pyte (LGPL-3.0) is",
        "shipped as source files in `_internal/pyte/`.",
        "",
    ]
    for section, title, headers in SECTIONS:
        rows = [e for e in entries if e.section == section]
        if not rows:
            continue
        lines += [
            f"## {title}",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "---|" * len(headers),
        ]
        lines += [f"| {e.name} | {e.version} | {e.licence} | {e.where} |" for e in rows]
        lines.append("")
    return "\n".join(lines) + "\n" + LEFT_OUT


def main(argv: list[str] | None = None) -> int:
    """Print THIRD-PARTY.md for a bundle, or write it to `--out`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the built bundle, e.g. dist/krates")
    parser.add_argument("--out", type=Path, help="write here instead of printing")
    args = parser.parse_args(argv)
    try:
        text = render(args.bundle)
    except LicenceError as exc:
        print(f"third_party.py: {exc}", file=sys.stderr)
        return 1
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
