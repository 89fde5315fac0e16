"""`ansible-doc` succeeds for every module of dailyge.infra, and each documents what users read.

A module whose DOCUMENTATION, EXAMPLES or RETURN does not parse still runs, but `ansible-doc` (and
the argument spec it is checked against) fails for it: this catches that in `make lint`.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml
from support import REPO_ROOT, ansible_env

COLLECTION = REPO_ROOT / "collections" / "ansible_collections" / "dailyge" / "infra"
MODULES = sorted(path.stem for path in (COLLECTION / "plugins" / "modules").glob("*.py") if path.stem != "__init__")


def ansible_doc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ansible-doc", *args], cwd=REPO_ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def listed() -> set[str]:
    done = ansible_doc("--list", "--json", "-t", "module", "dailyge.infra")
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_the_collection_is_found_by_ansible_doc(listed: set[str]):
    assert {f"dailyge.infra.{name}" for name in MODULES} == listed


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_the_module(module: str):
    done = ansible_doc("--json", "-t", "module", f"dailyge.infra.{module}")
    assert done.returncode == 0, done.stderr
    assert "[WARNING]" not in done.stderr, done.stderr
    entry = json.loads(done.stdout)[f"dailyge.infra.{module}"]
    doc = entry["doc"]
    assert doc["short_description"] and doc["description"] and doc["author"]
    undocumented = [name for name, option in doc.get("options", {}).items() if not option.get("description")]
    assert undocumented == [], f"options without a description: {undocumented}"
    assert entry["examples"] and yaml.safe_load(entry["examples"]), "EXAMPLES must be YAML tasks"
    assert entry["return"], "RETURN is empty"


@pytest.mark.parametrize("module", MODULES)
def test_the_text_rendering_works_too(module: str):
    done = ansible_doc("-t", "module", f"dailyge.infra.{module}")
    assert done.returncode == 0, done.stderr
    assert f"dailyge.infra.{module}" in done.stdout
