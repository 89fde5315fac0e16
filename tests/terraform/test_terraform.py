"""Terraform checks of `make terraform-checks`: fmt, validate of every environment, test of every module.

Every command runs with this suite's own CLI configuration, written by the terraform role's
`cli_config` entry point (the same provider mirror detection and template as a deployment), and
with its own TF_DATA_DIR under .state/, so no `.terraform` folder or lock file lands in the tree:
modules are tested from a copy under .state/ (`terraform init` writes a lock file next to the
configuration it initialises). Everything is offline: `terraform test` uses `mock_provider "aws"`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "terraform"
WORK_DIR = REPO_ROOT / ".state" / "terraform-tests"
ENVS = sorted(path.name for path in (TERRAFORM_DIR / "envs").iterdir() if (path / "versions.tf").exists())
MODULES = sorted(path.name for path in (TERRAFORM_DIR / "modules").iterdir() if (path / "main.tf").exists())
TIMEOUT_S = 600

# The names the Ansible half reads from `terraform output -json` (the `stack` fact).
OUTPUTS_CONTRACT = (
    "environment",
    "aws_region",
    "vpc_id",
    "public_subnet_ids",
    "private_subnet_ids",
    "alb_arn",
    "alb_dns_name",
    "alb_zone_id",
    "alb_security_group_id",
    "alb_https_listener_arn",
    "api_target_group_arn",
    "route53_zone_id",
    "domain_name",
    "hostnames",
    "certificate_arn",
    "ecs_cluster_name",
    "ecs_cluster_arn",
    "ecs_service_name",
    "ecs_service_names",
    "ecs_task_definition_family",
    "ecs_container_name",
    "ecs_container_port",
    "ecs_autoscaling_group_name",
    "ecs_asg_min_size",
    "ecs_asg_max_size",
    "ecs_capacity_provider_name",
    "ecs_host_security_group_id",
    "ecs_heap_dump_host_path",
    "ecs_service_min_capacity",
    "ecs_service_max_capacity",
    "rds_instance_identifier",
    "rds_endpoint",
    "rds_port",
    "rds_parameter_group_name",
    "rds_security_group_id",
    "rds_backup_window",
    "rds_backup_retention_days",
    "rds_master_user_secret_arn",
    "static_site_bucket_name",
    "cloudfront_distribution_id",
    "cloudfront_domain_name",
    "waf_web_acl_arn",
    "waf_web_acl_name",
    "waf_web_acl_id",
    "waf_rate_limit",
    "waf_rate_limit_window_sec",
    "waf_rate_limit_action",
    "waf_rate_rule_name",
    "app_config_secret_arn",
    "app_config_secret_name",
    "log_group_names",
    "archive_bucket_name",
    "alarm_topic_arn",
    "slack_notifier_function_name",
    "slack_webhook_secret_name",
    "ecr_repository_url",
    "monitoring_instance_id",
    "monitoring_private_ip",
    "monitoring_security_group_id",
)


def run(argv: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"{' '.join(result.args)} exited {result.returncode}\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"


@pytest.fixture(scope="session")
def terraform_env() -> dict[str, str]:
    """Environment of every Terraform command: the CLI config written by the terraform role."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: install Terraform >= 1.11 (this machine image ships it)")
    cli_config = WORK_DIR / "terraformrc"
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_HOME=str(REPO_ROOT / ".ansible"),
        XDG_CACHE_HOME=str(REPO_ROOT / ".cache"),
    )
    argv = [
        str(Path(sys.executable).parent / "ansible"), "localhost",
        "-i", "inventories/local",
        "-m", "ansible.builtin.include_role",
        "-a", "name=terraform tasks_from=cli_config",
        "-e", f"terraform_cli_config_path={cli_config}",
        "-e", f"terraform_work_dir={WORK_DIR / 'role'}",
    ]  # fmt: skip
    written = run(argv, env)
    assert written.returncode == 0 and cli_config.exists(), explain(written)
    return dict(os.environ, TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", TF_INPUT="0")


def init(directory: Path, data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """`terraform init -backend=false` of a directory with its own data dir; return the environment."""
    env = dict(env, TF_DATA_DIR=str(data_dir))
    result = run(["terraform", f"-chdir={directory}", "init", "-backend=false", "-input=false", "-no-color"], env)
    assert result.returncode == 0, explain(result)
    return env


def test_fmt(terraform_env: dict[str, str]) -> None:
    result = run(["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_DIR)], terraform_env)
    assert result.returncode == 0, explain(result)


@pytest.mark.parametrize("env_name", ENVS)
def test_validate(env_name: str, terraform_env: dict[str, str]) -> None:
    directory = TERRAFORM_DIR / "envs" / env_name
    lock_file = directory / ".terraform.lock.hcl"
    committed_lock = lock_file.read_text()
    env = init(directory, WORK_DIR / "envs" / env_name, terraform_env)

    result = run(["terraform", f"-chdir={directory}", "validate", "-no-color"], env)

    assert result.returncode == 0, explain(result)
    assert lock_file.read_text() == committed_lock, f"terraform init changed the committed {lock_file}"


@pytest.mark.parametrize("module", MODULES)
def test_module(module: str, terraform_env: dict[str, str]) -> None:
    assert list((TERRAFORM_DIR / "modules" / module / "tests").glob("*.tftest.hcl")), f"module {module} has no tests"
    copy = WORK_DIR / "modules" / module / "source"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(TERRAFORM_DIR / "modules" / module, copy)
    env = init(copy, WORK_DIR / "modules" / module / "data", terraform_env)

    result = run(["terraform", f"-chdir={copy}", "test", "-no-color"], env)

    assert result.returncode == 0, explain(result)
    assert re.search(r"Success! [1-9][0-9]* passed, 0 failed", result.stdout), explain(result)


def declared(kind: str, path: Path) -> list[str]:
    return re.findall(rf'^{kind} "([^"]+)"', path.read_text(), flags=re.MULTILINE)


@pytest.mark.parametrize("file_name", ["main.tf", "outputs.tf"])
def test_environments_share_the_same_stack(file_name: str) -> None:
    """envs differ by variables, backend and providers only: the stack and its outputs are one file."""
    texts = {env_name: (TERRAFORM_DIR / "envs" / env_name / file_name).read_text() for env_name in ENVS}
    assert len(set(texts.values())) == 1, f"{file_name} differs between {sorted(texts)}"


@pytest.mark.parametrize("env_name", ENVS)
def test_outputs_contract(env_name: str) -> None:
    outputs = declared("output", TERRAFORM_DIR / "envs" / env_name / "outputs.tf")
    missing = sorted(set(OUTPUTS_CONTRACT) - set(outputs))
    assert not missing, f"envs/{env_name}/outputs.tf lacks the contract outputs {missing}"
    assert "sensitive" not in (TERRAFORM_DIR / "envs" / env_name / "outputs.tf").read_text()


def test_every_module_is_used_by_every_environment() -> None:
    for env_name in ENVS:
        main = (TERRAFORM_DIR / "envs" / env_name / "main.tf").read_text()
        sources = re.findall(r'source\s*=\s*"\.\./\.\./modules/([^"]+)"', main)
        assert sorted(sources) == MODULES, f"envs/{env_name} does not use exactly the modules {MODULES}"


# The endpoint (of the local provider's `endpoints` block) that each kind of AWS resource or data
# source calls; None for those that make no call. A new kind must be added here, so that a bare
# `terraform plan` in envs/local never reaches a real AWS endpoint.
ENDPOINT_OF_PREFIX = {
    "aws_acm_": "acm",
    "aws_autoscaling_": "autoscaling",
    "aws_caller_identity": "sts",
    "aws_cloudfront_": "cloudfront",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_db_": "rds",
    "aws_default_": "ec2",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_eip": "ec2",
    "aws_elb_service_account": None,
    "aws_flow_log": "ec2",
    "aws_iam_policy_document": None,
    "aws_iam_": "iam",
    "aws_instance": "ec2",
    "aws_internet_gateway": "ec2",
    "aws_kms_": "kms",
    "aws_lambda_": "lambda",
    "aws_launch_template": "ec2",
    "aws_lb": "elbv2",
    "aws_nat_gateway": "ec2",
    "aws_partition": None,
    "aws_region": None,
    "aws_route53_": "route53",
    "aws_route": "ec2",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_sns_": "sns",
    "aws_ssm_": "ssm",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
    "aws_wafv2_": "wafv2",
}


def test_the_local_provider_sends_every_service_of_the_stack_to_the_emulator() -> None:
    kinds = set()
    for path in [*TERRAFORM_DIR.glob("modules/*/*.tf"), *TERRAFORM_DIR.glob("envs/local/*.tf")]:
        kinds |= set(re.findall(r'^(?:resource|data) "(aws_[a-z0-9_]+)"', path.read_text(), flags=re.MULTILINE))
    needed, unknown = set(), []
    for kind in sorted(kinds):
        prefix = next((prefix for prefix in ENDPOINT_OF_PREFIX if kind.startswith(prefix)), None)
        if prefix is None:
            unknown.append(kind)
        elif ENDPOINT_OF_PREFIX[prefix]:
            needed.add(ENDPOINT_OF_PREFIX[prefix])
    assert not unknown, f"add the endpoint these call to ENDPOINT_OF_PREFIX: {unknown}"
    providers = (TERRAFORM_DIR / "envs" / "local" / "providers.tf").read_text()
    blocks = re.findall(r"endpoints \{(.*?)\}", providers, flags=re.DOTALL)
    assert len(blocks) == len(re.findall(r'^provider "aws"', providers, flags=re.MULTILINE)), "one per provider"
    for block in blocks:
        routed = set(re.findall(r"^\s*(\w+)\s*=\s*var\.aws_endpoint_url$", block, flags=re.MULTILINE))
        assert not needed - routed, f"envs/local/providers.tf sends {sorted(needed - routed)} to real AWS"
