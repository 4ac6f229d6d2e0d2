"""Two pytest-xdist workers: each module whole on one worker, and modules that share a heavy build together.

``make unit`` runs ``pytest -n 2 --dist loadgroup``. A module's fixtures are built once only if all its
tests run on one worker, and a heavy session or package fixture (a dbt-built warehouse, a served site,
trained models) once only if every module using it does too. pytest-xdist's own ``loadgroup`` names a
test's group by rewriting its node id, which pytest 9 no longer allows (node ids are structured), so with it
every test was scheduled on its own and module fixtures were built on both workers. The grouping is
scheduled here instead:

- each worker computes the module → group map from the items it collected (every worker collects the same
  items, so every map is the same) and writes it to the file the controller named in
  ``SKILLSTUDIO_TEST_GROUPS`` before it reports its collection;
- the controller's scheduler is xdist's load-by-scope, with a test's scope read from that map: once every
  worker has reported, the file is complete.

xdist hands groups out in order of their number of tests, most first, so a module of one or two tests that
runs for minutes (the whole pipeline end to end, the real OULAD data) came last and ran alone at the end,
the other worker idle. Groups holding a test marked ``slow`` (a minute or more on its own) are handed out
first, the rest after them in xdist's order.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

GROUPS_FILE = "SKILLSTUDIO_TEST_GROUPS"

# Session fixtures that build something big once per session (per worker).
HEAVY_SESSION_FIXTURES = frozenset({"generated_warehouse", "oulad_warehouse", "oulad_2013", "site"})


def _grouping(config: pytest.Config) -> bool:
    """Whether this run schedules by group: ``--dist loadgroup`` (a worker's own ``dist`` is "no")."""
    if not config.pluginmanager.hasplugin("xdist"):
        return False
    if hasattr(config, "workerinput"):
        return bool(config.getvalue("loadgroup"))
    return bool(config.getvalue("dist") == "loadgroup")


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0]


def pytest_configure(config: pytest.Config) -> None:
    """The controller names the groups' file; the workers it starts inherit the name."""
    if _grouping(config) and not hasattr(config, "workerinput") and GROUPS_FILE not in os.environ:
        directory = tempfile.mkdtemp(prefix="skillstudio-test-groups-")
        os.environ[GROUPS_FILE] = str(Path(directory) / "groups.json")
        config.add_cleanup(lambda: _forget(directory))


def _forget(directory: str) -> None:
    os.environ.pop(GROUPS_FILE, None)
    shutil.rmtree(directory, ignore_errors=True)


def shared_builds(item: pytest.Item) -> set[str]:
    """What an item shares with other modules' items: its heavy session and package fixtures."""
    shared = set(HEAVY_SESSION_FIXTURES.intersection(getattr(item, "fixturenames", ())))
    fixture_info = getattr(item, "_fixtureinfo", None)
    for definitions in getattr(fixture_info, "name2fixturedefs", {}).values():
        if definitions and definitions[-1].scope == "package":
            shared.add(f"package:{definitions[-1].baseid}")
    return shared


def module_groups(items: list[pytest.Item]) -> dict[str, str]:
    """Each module's group: modules joined by the heavy builds they share (union-find over both)."""
    modules: dict[str, set[str]] = {}
    for item in items:
        modules.setdefault(_module(item.nodeid), set()).update(shared_builds(item))
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for module, shared in modules.items():
        for build in shared:
            parent[root(build)] = root(module)
    return {module: root(module) for module in modules}


def slow_groups(items: list[pytest.Item], groups: dict[str, str]) -> list[str]:
    """The groups holding a test marked ``slow``, in order."""
    return sorted({groups[_module(item.nodeid)] for item in items if item.get_closest_marker("slow")})


def first_slow(queue: dict[str, Any], slow: list[str]) -> list[str]:
    """The order of a work queue's groups with the slow ones first, each part in the queue's order."""
    flagged = set(slow)
    return [group for group in queue if group in flagged] + [group for group in queue if group not in flagged]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A worker writes the groups of what it collected (atomically: both workers write the same map)."""
    path = os.environ.get(GROUPS_FILE)
    if not (_grouping(config) and hasattr(config, "workerinput") and path):
        return
    groups = module_groups(items)
    written = Path(f"{path}.{config.workerinput['workerid']}")
    written.write_text(json.dumps({"groups": groups, "slow": slow_groups(items, groups)}))
    written.replace(path)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Load by scope, a test's scope being its module's group."""
    if not _grouping(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroupScheduling(LoadScopeScheduling):
        @cached_property
        def written(self) -> dict[str, Any]:
            # Read when the first test is scheduled: every worker has reported its collection by then.
            path = os.environ.get(GROUPS_FILE)
            if not path or not Path(path).exists():
                return {}
            written: dict[str, Any] = json.loads(Path(path).read_text())
            return written

        @property
        def groups(self) -> dict[str, str]:
            groups: dict[str, str] = self.written.get("groups", {})
            return groups

        def _split_scope(self, nodeid: str) -> str:
            module = _module(nodeid)
            return self.groups.get(module, module)

        def _assign_work_unit(self, node: Any) -> None:
            # The queue is complete when the first unit is assigned: the slow groups go to its front, once.
            if not getattr(self, "_slow_first", False):
                self._slow_first = True
                for group in reversed(first_slow(self.workqueue, self.written.get("slow", []))):
                    self.workqueue.move_to_end(group, last=False)
            super()._assign_work_unit(node)

    return ModuleGroupScheduling(config, log)
