"""The terraform role's typed `terraform_vars` options are the variables of every Terraform environment.

roles/terraform/meta/argument_specs.yml types `terraform_vars` option by option so that
playbooks/preflight.yml rejects a missing or mistyped inventory value before Terraform runs. These
tests keep that spec, the `variable` blocks of terraform/envs/*/variables.tf and the inventories in
step (names, types, which ones are required).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVS_DIR = REPO_ROOT / "terraform" / "envs"
ENVS = sorted(path.name for path in ENVS_DIR.iterdir() if (path / "variables.tf").exists())
SPEC_FILE = REPO_ROOT / "roles" / "terraform" / "meta" / "argument_specs.yml"

# Terraform type -> (argument spec type, elements)
SPEC_TYPE_OF = {
    "string": ("str", None),
    "number": ("int", None),
    "bool": ("bool", None),
    "list(string)": ("list", "str"),
    "map(string)": ("dict", None),
}

# Variables roles/terraform writes itself rather than taking from the inventory: the built Lambda
# packages (lambda_packages.tfvars.json, from `terraform_lambda_packages`) and the scheduled jobs of the
# watchdog alarms (scheduled_jobs.tfvars.json, from the cron schedule `ops_jobs_schedules`).
ROLE_GENERATED = {"lambda_packages", "scheduled_jobs"}

VARIABLE_BLOCK = re.compile(r'^variable "(?P<name>[^"]+)" \{\n(?P<body>.*?)^\}', re.MULTILINE | re.DOTALL)


def terraform_variables(env_name: str, generated: bool = False) -> dict[str, dict[str, Any]]:
    """name -> {type, has_default} of each `variable` block of the environment (top-level lines only);
    the variables the role generates only when `generated`."""
    text = (ENVS_DIR / env_name / "variables.tf").read_text()
    variables = {}
    for block in VARIABLE_BLOCK.finditer(text):
        if (block.group("name") in ROLE_GENERATED) != generated:
            continue
        body = block.group("body")
        type_match = re.search(r"^  type\s*=\s*(.+)$", body, re.MULTILINE)
        variables[block.group("name")] = {
            "type": type_match.group(1).strip() if type_match else None,
            "has_default": re.search(r"^  default\s*=", body, re.MULTILINE) is not None,
        }
    return variables


def spec_options(entry_point: str = "main") -> dict[str, dict[str, Any]]:
    spec = yaml.safe_load(SPEC_FILE.read_text())
    return spec["argument_specs"][entry_point]["options"]["terraform_vars"]["options"]


def inventory_terraform_vars(env_name: str) -> dict[str, Any]:
    path = REPO_ROOT / "inventories" / env_name / "group_vars" / "all" / "terraform.yml"
    return yaml.safe_load(path.read_text())["terraform_vars"]


def test_the_regex_reads_variable_blocks() -> None:
    found = terraform_variables("local")
    assert found["aws_region"] == {"type": "string", "has_default": False}
    assert found["ecs_ami_id"] == {"type": "string", "has_default": True}
    assert found["availability_zones"]["type"] == "list(string)"
    every = len(re.findall(r'^variable "', (ENVS_DIR / "local" / "variables.tf").read_text(), re.M))
    assert len(found) + len(terraform_variables("local", generated=True)) == every


@pytest.mark.parametrize("env_name", ENVS)
def test_the_lambda_packages_variable_has_a_package_per_built_function(env_name: str) -> None:
    """Every function roles/terraform builds is an attribute of the lambda_packages object, and no other."""
    assert set(terraform_variables(env_name, generated=True)) == ROLE_GENERATED
    text = (ENVS_DIR / env_name / "variables.tf").read_text()
    bodies = {block.group("name"): block.group("body") for block in VARIABLE_BLOCK.finditer(text)}
    body = bodies["lambda_packages"]
    declared = set(re.findall(r"^    (\w+) = object\(", body, re.MULTILINE))
    defaults = yaml.safe_load((REPO_ROOT / "roles" / "terraform" / "defaults" / "main.yml").read_text())
    assert declared == set(defaults["terraform_lambda_packages"]) == {"slack_notifier"}


def test_terraform_vars_is_required_without_default() -> None:
    spec = yaml.safe_load(SPEC_FILE.read_text())["argument_specs"]
    for entry_point, entry in spec.items():
        terraform_vars = entry["options"]["terraform_vars"]
        assert terraform_vars["type"] == "dict", entry_point
        assert terraform_vars.get("required") is True, entry_point
        assert "default" not in terraform_vars, entry_point
        assert terraform_vars["options"] == spec_options("main"), entry_point


@pytest.mark.parametrize("env_name", ENVS)
def test_spec_options_are_the_variables_of_the_environment(env_name: str) -> None:
    assert sorted(spec_options()) == sorted(terraform_variables(env_name))


@pytest.mark.parametrize("env_name", ENVS)
def test_spec_types_match_the_terraform_types(env_name: str) -> None:
    options = spec_options()
    for name, variable in terraform_variables(env_name).items():
        expected_type, expected_elements = SPEC_TYPE_OF[variable["type"]]
        assert options[name]["type"] == expected_type, name
        assert options[name].get("elements") == expected_elements, name


def test_required_in_the_spec_means_no_default_in_any_environment() -> None:
    variables = {env_name: terraform_variables(env_name) for env_name in ENVS}
    required_everywhere = {
        name for name in spec_options() if not any(variables[env_name][name]["has_default"] for env_name in ENVS)
    }
    required_in_spec = {name for name, option in spec_options().items() if option.get("required")}
    assert required_in_spec == required_everywhere


@pytest.mark.parametrize("env_name", ENVS)
def test_inventory_gives_every_required_variable_and_nothing_unknown(env_name: str) -> None:
    given = inventory_terraform_vars(env_name)
    options = spec_options()
    assert not set(given) - set(options), f"unknown terraform_vars in inventories/{env_name}"
    assert not {name for name, option in options.items() if option.get("required")} - set(given)


@pytest.mark.parametrize("env_name", ENVS)
def test_inventory_environment_matches_its_folder(env_name: str) -> None:
    assert inventory_terraform_vars(env_name)["environment"] == env_name
