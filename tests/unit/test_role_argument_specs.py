"""Every role's defaults/main.yml and meta/argument_specs.yml describe the same variables.

The argument spec is what playbooks/preflight.yml checks the inventory against, so a variable
missing from it escapes the preflight, and a spec default that differs from defaults/main.yml
documents a value the role does not use.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(
    path.parent.parent for path in Path(__file__).resolve().parents[2].glob("roles/*/meta/argument_specs.yml")
)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_defaults_and_argument_spec_name_the_same_variables(role: Path):
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(name for name, spec in options.items() if "default" in spec)
    required = {name for name, spec in options.items() if "default" not in spec}
    assert all(options[name].get("required") for name in required), (
        f"options without a default must be required: {required}"
    )


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_spec_defaults_equal_the_role_defaults(role: Path):
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    differing = {
        name: (options[name]["default"], value) for name, value in defaults.items() if options[name]["default"] != value
    }
    assert differing == {}


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_every_option_is_typed_and_described(role: Path):
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    untyped = [name for name, spec in options.items() if "type" not in spec or not spec.get("description")]
    assert untyped == []


def test_there_are_roles_to_check():
    assert ROLES, "no role with meta/argument_specs.yml found"
