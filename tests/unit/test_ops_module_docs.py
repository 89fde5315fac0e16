"""The documentation of the ops modules says what their argument spec does (as ansible-test would check).

`ansible-doc dailyge.infra.<name>` reads DOCUMENTATION; the module validates with ARGUMENT_SPEC.
A default or type that differs between the two documents behaviour the module does not have.
"""

from __future__ import annotations

import importlib

import pytest
import yaml

MODULES = [
    "rds_snapshot",
    "cloudwatch_logs_archive",
    "security_group_exclusive_rules",
    "run_lock",
    "job_record",
    "ecs_release",
    "release_record",
]


def load(name: str):
    return importlib.import_module(f"ansible_collections.dailyge.infra.plugins.modules.{name}")


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_equal_the_argument_spec(name):
    module = load(name)
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]
    spec = module.ARGUMENT_SPEC
    assert sorted(documented) == sorted(spec)
    for option, doc in documented.items():
        assert doc["type"] == spec[option]["type"], option
        assert doc.get("default") == spec[option].get("default"), option
        assert doc.get("required", False) == spec[option].get("required", False), option
        assert doc.get("elements") == spec[option].get("elements"), option
        assert doc.get("description"), option


@pytest.mark.parametrize("name", MODULES)
def test_examples_and_return_are_yaml_and_examples_use_the_fqcn(name):
    module = load(name)
    examples = yaml.safe_load(module.EXAMPLES)
    assert examples and all(f"dailyge.infra.{name}" in task for task in examples)
    returned = yaml.safe_load(module.RETURN)
    assert all({"description", "returned", "type"} <= set(value) for value in returned.values())
