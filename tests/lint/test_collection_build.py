"""dailyge.infra as Galaxy would publish it: `ansible-galaxy collection build` is clean, the archive holds
the licence and nothing of a local run, the amazon.aws dependency admits the bundled amazon.aws, and every
filter has its documentation (filters documented beside their plugin, as YAML files)."""

from __future__ import annotations

import importlib
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from ansible.module_utils.compat.version import LooseVersion
from ansible_collections.amazon.aws.plugins.module_utils.common import AMAZON_AWS_COLLECTION_VERSION
from support import REPO_ROOT, ansible_env

COLLECTION = REPO_ROOT / "collections" / "ansible_collections" / "dailyge" / "infra"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("galaxy")
    done = subprocess.run(
        ["ansible-galaxy", "collection", "build", str(COLLECTION), "--output-path", str(out)],
        cwd=REPO_ROOT,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, out / "dailyge-infra-0.1.0.tar.gz"


def test_the_build_succeeds_with_no_warning(built):
    done, archive = built
    assert done.returncode == 0, done.stderr
    assert archive.is_file()
    output = done.stdout + done.stderr
    assert "WARNING" not in output and "DEPRECATION" not in output, output


def test_the_archive_holds_the_licence_and_no_local_leftovers(built):
    _, archive = built
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "LICENSE" in names and "meta/runtime.yml" in names
    leftovers = [name for name in names if name.split("/")[0] in {".ruff_cache", ".git", "ruff.toml"}]
    assert leftovers == [], leftovers
    assert not [name for name in names if "__pycache__" in name or name.startswith("tests/output")]


def test_the_manifest_declares_amazon_aws_in_a_range_holding_the_bundled_one(built):
    _, archive = built
    with tarfile.open(archive) as tar:
        info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    assert info["license"] == ["GPL-3.0-or-later"]
    assert info["repository"] and info["documentation"] and info["issues"]
    low, high = (part.strip() for part in info["dependencies"]["amazon.aws"].split(","))
    assert low.startswith(">=") and high.startswith("<")
    bundled = LooseVersion(AMAZON_AWS_COLLECTION_VERSION)
    assert LooseVersion(low[2:]) <= bundled < LooseVersion(high[1:])


def test_every_filter_is_documented():
    done = subprocess.run(
        ["ansible-doc", "--list", "--json", "-t", "filter", "dailyge.infra"],
        cwd=REPO_ROOT,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    names: set[str] = set()
    for path in sorted((COLLECTION / "plugins" / "filter").glob("*.py")):
        plugin = importlib.import_module(f"ansible_collections.dailyge.infra.plugins.filter.{path.stem}")
        names |= set(plugin.FilterModule().filters())
    assert len(names) >= 10  # the filters of this writing: a broken import above would find fewer
    undocumented = sorted(name for name in names if not (COLLECTION / "plugins" / "filter" / f"{name}.yml").is_file())
    assert undocumented == []
    assert {f"dailyge.infra.{name}" for name in names} <= set(listed)
    assert all(listed[f"dailyge.infra.{name}"] for name in names)
