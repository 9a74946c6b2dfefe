"""The vendored browser files are the ones vendor.json records (scripts/vendor.py --check)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _vendor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor", ROOT / "scripts" / "vendor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy(vendor: ModuleType, data: dict[str, object], to: Path) -> None:
    for package in data["packages"]:  # type: ignore[attr-defined]
        for entry in package["files"]:
            target = to / entry["to"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / entry["to"], target)


def test_committed_files_match_the_manifest() -> None:
    vendor = _vendor()
    data = vendor.load()
    assert vendor.check(data) == []
    for package in data["packages"]:
        assert package["version"][0].isdigit(), "pin an exact version"
        assert package["integrity"].startswith("sha512-")
        assert any(Path(f["to"]).name.upper().startswith("LICEN") for f in package["files"])


def test_a_changed_missing_or_stray_file_is_reported(tmp_path: Path) -> None:
    vendor = _vendor()
    data = vendor.load()
    _copy(vendor, data, tmp_path)
    first, second = data["packages"][0]["files"][:2]
    (tmp_path / first["to"]).write_bytes(b"export default 1;\n")
    (tmp_path / second["to"]).unlink()
    (tmp_path / second["to"]).with_name("extra.js").write_text("alert(1)")
    problems = vendor.check(data, tmp_path)
    assert len(problems) == 3
    assert "does not match" in problems[0]
    assert "missing" in problems[1]
    assert "not in vendor.json" in problems[2]


def test_source_map_comments_are_taken_out() -> None:
    strip = _vendor().strip_source_map
    assert strip(b"a();\n//# sourceMappingURL=a.js.map\n") == b"a();\n"
    assert strip(b"a();//# sourceMappingURL=a.js.map") == b"a();\n"  # on the code's line
    assert strip(b"a{}\n/*# sourceMappingURL=a.css.map */\n\n") == b"a{}\n"
    assert strip(b"export{x};\n\n//@ sourceMappingURL=x.map") == b"export{x};\n"
    untouched = b'const s = "//# sourceMappingURL=not.the.end";\nrun(s);\n'
    assert strip(untouched) == untouched


def test_a_committed_file_that_names_a_source_map_is_reported(tmp_path: Path) -> None:
    vendor = _vendor()
    data = vendor.load()
    _copy(vendor, data, tmp_path)
    entry = next(f for p in data["packages"] for f in p["files"] if f["to"].endswith(".js"))
    target = tmp_path / entry["to"]
    target.write_bytes(target.read_bytes() + b"//# sourceMappingURL=x.map\n")
    entry["sha256"] = vendor.sha256(target)
    assert vendor.check(data, tmp_path) == [
        f"{p['name']}@{p['version']}: {entry['to']} still names a source map"
        for p in data["packages"]
        if entry in p["files"]
    ]
