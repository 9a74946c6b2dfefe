"""Write docs/configuration.md: every FIRELANE_ setting of every settings class, generated.

    python scripts/configuration.py          # write it
    python scripts/configuration.py --check  # exit 1 if it is out of date (a test runs this)

The settings classes are found, not listed: every module of the ``app`` package is
imported, and every pydantic-settings class defined in one of them is described. A
setting's meaning is its ``Field(description=...)``, else the comment lines right above
it in the class.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "configuration.md"

HEADER = """\
# Configuration

Every setting Firelane reads, generated from its settings classes by
`python scripts/configuration.py` (a test fails when this page is out of date). Settings
come from the environment, or from a `.env` file in the working directory; the
environment wins. A wrong value stops any command with one line that names the variable
(exit status 78). Booleans are `true`/`false` (or `1`/`0`); durations are seconds unless
the name says otherwise.
"""


def settings_classes() -> list[type[BaseSettings]]:
    """Every settings class defined in the ``app`` package, in module order."""
    sys.path.insert(0, str(ROOT))
    import app

    found: dict[str, type[BaseSettings]] = {}
    for module in pkgutil.walk_packages(app.__path__, "app."):
        imported = importlib.import_module(module.name)
        for _, value in inspect.getmembers(imported, inspect.isclass):
            if (
                issubclass(value, BaseSettings)
                and value is not BaseSettings
                and value.__module__ == module.name
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found, key=_order)]


def _order(name: str) -> tuple[int, str]:
    return (0 if name.startswith("app.core.") else 1, name)


def _comments(kind: type[BaseSettings]) -> dict[str, str]:
    """The comment lines right above each field of the class, joined."""
    source = inspect.getsource(kind)
    lines = source.splitlines()
    tree = ast.parse(textwrap.dedent(source))
    (body,) = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    found: dict[str, str] = {}
    for node in body.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        line = node.lineno - 2
        while line >= 0 and lines[line].strip().startswith("#"):
            above.insert(0, lines[line].strip().lstrip("#").strip())
            line -= 1
        found[node.target.id] = " ".join(above)
    return found


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def _type(annotation: Any) -> str:
    """``int``, ``one of `text`, `json```, ``bool, optional``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{arg}`" for arg in args)
    if args and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        return ", ".join(_type(arg) for arg in rest) + ", optional"
    return getattr(annotation, "__name__", None) or str(annotation)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The page, as it should be."""
    parts = [HEADER]
    for kind in settings_classes():
        prefix = str(kind.model_config.get("env_prefix", ""))
        doc = kind.__dict__.get("__doc__") or inspect.getdoc(sys.modules[kind.__module__]) or ""
        parts.append(f"\n## `{prefix}*` ({kind.__module__})\n")
        parts.append(f"\n{doc.splitlines()[0]}\n" if doc else "")
        parts.append("\n| variable | type | default | meaning |\n|---|---|---|---|\n")
        comments = _comments(kind)
        for name, field in kind.model_fields.items():
            meaning = field.description or comments.get(name, "")
            variable = f"{prefix}{name}".upper()
            row = (variable, _type(field.annotation), _default(field), meaning)
            parts.append(f"| `{row[0]}` | {_cell(row[1])} | {_cell(row[2])} | {_cell(row[3])} |\n")
    return "".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page is out of date")
    args = parser.parse_args()
    page = render()
    if args.check:
        if not TARGET.exists() or TARGET.read_text() != page:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python scripts/configuration.py")
            return 1
        return 0
    TARGET.write_text(page)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
