"""The package's worked examples run, its API is documented, and it stays pure."""

import ast
import doctest
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

import reports

MODULES = [
    importlib.import_module(f"reports.{info.name}")
    for info in pkgutil.iter_modules(reports.__path__)
]
ALLOWED_IMPORTS = {
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "math",
    "reports",
    "statistics",
    "types",
}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0


def test_the_modules_carry_worked_examples() -> None:
    attempted = sum(doctest.testmod(module, verbose=False).attempted for module in MODULES)
    assert attempted >= 25


@pytest.mark.parametrize("name", reports.__all__)
def test_every_public_name_has_a_docstring(name: str) -> None:
    value = getattr(reports, name)
    if name == "DEFAULT_CONFIDENCE":
        assert value == 0.95
        return
    assert inspect.getdoc(value)
    if inspect.isclass(value):
        for member_name, member in vars(value).items():
            if member_name.startswith("_") and member_name != "__add__":
                continue
            if inspect.isfunction(member) or isinstance(member, property):
                assert inspect.getdoc(member), f"{name}.{member_name} has no docstring"


@pytest.mark.parametrize("module", [reports, *MODULES], ids=lambda m: m.__name__)
def test_modules_import_only_the_standard_library_and_read_no_clock(module: ModuleType) -> None:
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Attribute):
            assert node.attr not in {"today", "now", "utcnow", "time"}, node.attr
    assert imported <= ALLOWED_IMPORTS
    assert all(name in sys.stdlib_module_names for name in imported - {"reports"})
