"""The import contracts cover the whole tree: a package or module added later gets a rule or fails here.

``make imports`` (import-linter) checks each contract of ``pyproject.toml``; these tests check that the
contracts name everything they must, so that a new core module or API domain cannot slip past them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETTINGS: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS: list[dict[str, Any]] = SETTINGS["contracts"]
# app_api packages that are not domains: shared plumbing and the Alembic scripts.
NOT_DOMAINS = {"common", "migrations"}


def contract(name_start: str) -> dict[str, Any]:
    matches = [c for c in CONTRACTS if c["name"].startswith(name_start)]
    assert len(matches) == 1, f"one contract named {name_start!r}…, found {len(matches)}"
    return matches[0]


def subpackages(package: str) -> set[str]:
    folder = ROOT / package.replace(".", "/") if package else ROOT
    return {child.name for child in folder.iterdir() if (child / "__init__.py").is_file()}


def modules(package: str) -> set[str]:
    folder = ROOT / package.replace(".", "/")
    return {child.stem for child in folder.glob("*.py") if child.stem != "__init__"}


def test_every_core_module_is_held_to_importing_nothing_of_ours() -> None:
    core = contract("core imports nothing")
    assert set(core["source_modules"]) == {f"skillstudio.{name}" for name in modules("skillstudio")}


def test_every_skillstudio_package_has_a_layer() -> None:
    layers = contract("skillstudio: the composition root")["layers"]
    named = {part.strip() for layer in layers for part in layer.split("|")}
    assert named == {f"skillstudio.{name}" for name in subpackages("skillstudio")}


def test_every_app_api_domain_is_independent_of_the_others_but_through_services() -> None:
    domains = set(contract("app_api domains use each other")["modules"])
    assert domains == {f"app_api.{name}" for name in subpackages("app_api") - NOT_DOMAINS}


def test_every_top_level_package_is_in_the_import_graph() -> None:
    packages = {name for name in subpackages("") if name != "tests"}
    assert set(SETTINGS["root_packages"]) == packages
