"""Vendor third-party browser files from the npm registry, pinned and checked.

Every third-party file committed to this repository is listed in ``vendor.json`` at its top:
per npm package its exact ``version``, the registry tarball's ``integrity`` (npm's sha512),
its ``license`` (from the package's own package.json), and per file where it comes from in
the tarball (``from``), where it goes in the repository (``to``) and its ``sha256``.

    python scripts/vendor.py              # fetch every package, write the files, record hashes
    python scripts/vendor.py --package X  # only package X (after adding or bumping its entry)
    python scripts/vendor.py --check      # offline: every committed file matches the manifest

Fetching uses the machine's npm (``npm pack NAME@VERSION``: the registry configured for npm,
its cache and proxy settings); node and npm are never needed to run Firelane. A tarball whose
integrity differs from the recorded one is refused: to move to another version, change
``version`` and empty ``integrity``. Each package must ship its licence file among its files.

To add a package, append an entry with ``name``, ``version`` and ``files`` (``from`` and
``to`` only), run ``make vendor`` (or with ``--package``), and commit ``vendor.json`` with
the files it wrote.

Scripts and styles are written without their trailing ``sourceMappingURL`` comment: the
maps are not vendored, and browsers' developer tools would ask the server for them (404s).
Such a file's entry says ``"edited": "sourceMappingURL comment removed"``, and its
``sha256`` is that of the file as committed (the tarball's integrity vouches for the rest).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "vendor.json"
_LICENCE_NAMES = ("license", "licence", "copying")
# The trailing source map comment of a script (//# or the old //@) or a style sheet (/*# */).
_SOURCE_MAP = re.compile(
    rb"[ \t]*(?://[#@][ \t]*sourceMappingURL=[^\r\n]*|/\*[#@][ \t]*sourceMappingURL=[^*]*\*/)\s*\Z"
)
_EDITED = "sourceMappingURL comment removed"


class VendorError(Exception):
    """A package cannot be fetched or a committed file does not match the manifest."""


def load(manifest: Path = MANIFEST) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    return data


def save(data: dict[str, Any], manifest: Path = MANIFEST) -> None:
    order = ("name", "version", "license", "integrity", "files")
    data["packages"] = [
        {key: package[key] for key in (*order, *package) if key in package}
        for package in data["packages"]
    ]
    manifest.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def strip_source_map(content: bytes) -> bytes:
    """``content`` without its trailing source map comment (ending in one newline)."""
    stripped = _SOURCE_MAP.sub(b"", content)
    if stripped == content:
        return content
    return stripped.rstrip(b"\r\n") + b"\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pack(spec: str, into: Path) -> tuple[Path, str]:
    """Download the npm tarball of ``spec`` (name@version) into ``into``."""
    done = subprocess.run(  # noqa: S603 - a fixed command; the spec comes from vendor.json
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        cwd=into,
    )
    if done.returncode != 0:
        raise VendorError(f"npm pack {spec} failed: {done.stderr.strip()[-400:]}")
    (info,) = json.loads(done.stdout)
    return into / info["filename"], info["integrity"]


def fetch(package: dict[str, Any], root: Path = ROOT) -> None:
    """Fetch one package's tarball, write its files under ``root`` and record what was written."""
    name, version = package["name"], package["version"]
    if not any(Path(f["from"]).name.lower().startswith(_LICENCE_NAMES) for f in package["files"]):
        raise VendorError(f"{name}: list the package's licence file among its files")
    with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
        tarball, integrity = _pack(f"{name}@{version}", Path(tmp))
        pinned = package.get("integrity")
        if pinned and pinned != integrity:
            raise VendorError(f"{name}@{version}: registry has {integrity}, pinned {pinned}")
        with tarfile.open(tarball, "r:gz") as archive:
            meta = _member(archive, "package.json", name)
            package["license"] = json.loads(meta)["license"]
            for entry in package["files"]:
                content = _member(archive, entry["from"], name)
                entry.pop("edited", None)
                if entry["to"].endswith((".js", ".mjs", ".css")):
                    edited = strip_source_map(content)
                    if edited != content:
                        content, entry["edited"] = edited, _EDITED
                target = root / entry["to"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                entry["sha256"] = hashlib.sha256(content).hexdigest()
    package["integrity"] = integrity


def _member(archive: tarfile.TarFile, path: str, name: str) -> bytes:
    try:
        member = archive.extractfile(f"package/{path}")
    except KeyError:
        member = None
    if member is None:
        raise VendorError(f"{name}: no file {path} in the tarball")
    return member.read()


def check(data: dict[str, Any], root: Path = ROOT) -> list[str]:
    """Compare every listed file with its recorded sha256; answer the problems found."""
    problems: list[str] = []
    listed: set[Path] = set()
    for package in data["packages"]:
        label = f"{package['name']}@{package['version']}"
        for key in ("integrity", "license"):
            if not package.get(key):
                problems.append(f"{label}: no {key} recorded (run make vendor)")
        for entry in package["files"]:
            target = root / entry["to"]
            listed.add(target)
            if not target.is_file():
                problems.append(f"{label}: {entry['to']} is missing")
            elif sha256(target) != entry.get("sha256"):
                problems.append(f"{label}: {entry['to']} does not match its recorded sha256")
            elif b"sourceMappingURL=" in target.read_bytes()[-4096:]:
                problems.append(f"{label}: {entry['to']} still names a source map")
    # A stray file in a vendored folder would be served without anyone vouching for it.
    for folder in {path.parent for path in listed}:
        for path in folder.iterdir():
            if path.is_file() and path not in listed:
                stray = path.relative_to(root)
                problems.append(f"{stray} is in a vendored folder, not in vendor.json")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files, offline")
    parser.add_argument("--package", action="append", help="fetch only this package (repeatable)")
    args = parser.parse_args(argv)
    data = load()
    if not args.check:
        wanted = set(args.package or [])
        unknown = wanted - {p["name"] for p in data["packages"]}
        if unknown:
            print(f"not in vendor.json: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        try:
            for package in data["packages"]:
                if not wanted or package["name"] in wanted:
                    fetch(package)
                    print(f"vendored {package['name']}@{package['version']} ({package['license']})")
        except VendorError as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            save(data)
    problems = check(data)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"vendor.json: {sum(len(p['files']) for p in data['packages'])} files match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
