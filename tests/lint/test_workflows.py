"""The GitHub Actions workflows have the structure the team relies on.

GitHub is out of reach here, so the workflows cannot run; `make lint` validates them against the
workflow schema (check-jsonschema) and audits them (zizmor), and this test asserts what neither
knows about: actions pinned to verified commits, OIDC instead of stored keys, one deploy per
environment, prod behind its protected environment, a Slack report on every outcome, and a first
step that names each missing secret (run here for real with bash).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS_DIR.glob("*.yml"))

# The commits each action is pinned to, checked against the actions' published releases. A new
# pin (or an upgrade) must be added here, with the release it is, after checking it upstream.
VERIFIED_PINS = {
    "actions/checkout": {"11bd71901bbe5b1630ceea73d27597364c9af683": "v4.2.2"},
    "actions/setup-python": {"a26af69be951a213d495a4c3e4e4022e16d87065": "v5.6.0"},
    "hashicorp/setup-terraform": {"b9cd54a3c349d3f38e8881555d616ced269862dd": "v3.1.2"},
    "aws-actions/configure-aws-credentials": {"e3dd6a429d7300a6a4c196c26e071d42e0343502": "v4.0.2"},
}
USES_LINE = re.compile(r"^\s*(?:-\s*)?uses:\s*(?P<ref>\S+)(?:\s*#\s*(?P<comment>.*))?$")
SECRET_REF = re.compile(r"(?<![\w.])secrets\.([A-Za-z_][A-Za-z0-9_]*)")
ENVIRONMENT_BY_BRANCH = "${{ github.ref_name == 'main' && 'prod' || 'dev' }}"


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """The `on:` block (PyYAML reads the bare key `on` as the boolean True)."""
    return workflow.get("on", workflow.get(True)) or {}


def jobs_of(name: str) -> dict[str, dict[str, Any]]:
    return load(WORKFLOWS_DIR / name)["jobs"]


def secrets_used(value: Any) -> set[str]:
    return set(SECRET_REF.findall(yaml.safe_dump(value)))


def require_step(job: dict[str, Any]) -> dict[str, Any] | None:
    first = job["steps"][0]
    return first if "REQUIRED_SECRETS" in first.get("env", {}) else None


def run_step(step: dict[str, Any], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a `run:` step as GitHub's bash shell does (bash --noprofile --norc -eo pipefail)."""
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    github_files = {name: tmp_path / name.lower() for name in ("GITHUB_ENV", "GITHUB_OUTPUT")}
    for path in github_files.values():
        path.write_text("")
    full_env = {"PATH": os.environ["PATH"], **{k: str(v) for k, v in github_files.items()}, **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_three_workflows_exist():
    assert {path.name for path in WORKFLOW_FILES} >= {"pull-request.yml", "deploy.yml", "ops.yml"}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_verified_commit(path: Path):
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = USES_LINE.match(line)
        if not match or match["ref"].startswith("./"):
            continue
        action, _, ref = match["ref"].partition("@")
        repository = "/".join(action.split("/")[:2])
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}:{number}: {action} is not pinned by commit SHA"
        assert ref in VERIFIED_PINS.get(repository, {}), f"{path.name}:{number}: {action}@{ref} is not a verified pin"
        version = VERIFIED_PINS[repository][ref]
        assert match["comment"] and match["comment"].split()[0] == version, (
            f"{path.name}:{number}: the comment must name the release {version}"
        )
        found.append(repository)
    assert found, f"{path.name} uses no action"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_permissions_are_empty_by_default_and_granted_per_job(path: Path):
    workflow = load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= {"id-token"}, f"{name} asks for write access: {writes}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_aws_credentials_come_from_oidc_never_from_stored_keys(path: Path):
    text = path.read_text()
    assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for name, job in load(path)["jobs"].items():
        aws_steps = [step for step in job.get("steps", []) if "configure-aws-credentials" in step.get("uses", "")]
        for step in aws_steps:
            assert job["permissions"].get("id-token") == "write", f"{name}: OIDC needs id-token: write"
            assert step["with"]["role-to-assume"].startswith("${{ secrets."), f"{name}: the role comes from a secret"
            assert step["with"]["aws-region"]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_no_expression_is_expanded_inside_a_shell_script(path: Path):
    """Context values reach scripts through `env:` only (no template injection)."""
    for name, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{name} / {step.get('name')}: use env: for expressions"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_job_has_a_timeout_and_checkouts_keep_no_token(path: Path):
    for name, job in load(path)["jobs"].items():
        assert job.get("timeout-minutes"), f"{name} has no timeout"
        for step in job.get("steps", []):
            if "actions/checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False, f"{name}: checkout must not keep the token"


def test_pull_request_runs_every_check_and_plans_dev():
    workflow = load(WORKFLOWS_DIR / "pull-request.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    scripts = "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", []))
    for check in (
        "make lint",
        "make terraform-checks",
        "make checkov",
        "make pytest",
        "make monitoring-test",
        "make plan ENV=dev",
    ):
        assert check in scripts, f"the pull-request workflow does not run {check}"
    plan_steps = workflow["jobs"]["plan-dev"]["steps"]
    assert any("GITHUB_STEP_SUMMARY" in step.get("run", "") for step in plan_steps), "plan not attached to the summary"
    assert workflow["concurrency"]["cancel-in-progress"] is True


def test_deploy_maps_dev_and_main_to_their_environments():
    workflow = load(WORKFLOWS_DIR / "deploy.yml")
    assert triggers(workflow) == {"push": {"branches": ["dev", "main"]}}
    job = workflow["jobs"]["deploy"]
    assert job["environment"]["name"] == ENVIRONMENT_BY_BRANCH  # main -> the protected `prod` environment
    assert job["env"]["DAILYGE_ENV"] == ENVIRONMENT_BY_BRANCH
    scripts = [step.get("run", "") for step in job["steps"]]
    site = next(i for i, script in enumerate(scripts) if "site.yml" in script)
    acceptance = next(i for i, script in enumerate(scripts) if "playbooks/ops/acceptance.yml" in script)
    assert site < acceptance, "the acceptance checks run after the deployment"
    assert all('-i "inventories/${DAILYGE_ENV}"' in scripts[i] for i in (site, acceptance))


@pytest.mark.parametrize(("workflow", "job"), [("deploy.yml", "deploy"), ("ops.yml", "operate")])
def test_one_run_per_environment_at_a_time_shared_by_deploy_and_ops(workflow: str, job: str):
    concurrency = jobs_of(workflow)[job]["concurrency"]
    expected = ENVIRONMENT_BY_BRANCH if workflow == "deploy.yml" else "${{ inputs.environment }}"
    assert concurrency["group"] == f"dailyge-{expected}"
    assert concurrency["cancel-in-progress"] is False, "a deploy is never interrupted half-way"


def test_ops_offers_the_operations_as_choices_only():
    workflow = load(WORKFLOWS_DIR / "ops.yml")
    inputs = triggers(workflow)["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["type"] == "choice" and inputs["environment"]["options"] == ["dev", "prod"]
    assert {"loadtest-on", "loadtest-off", "restore-drill"} <= set(inputs["operation"]["options"])
    job = workflow["jobs"]["operate"]
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    script = next(step["run"] for step in job["steps"] if "ansible-playbook" in step.get("run", ""))
    for operation in inputs["operation"]["options"]:
        assert f"{operation})" in script, f"the operation {operation} has no playbook"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_run_reports_to_slack_whatever_the_outcome(path: Path):
    jobs = load(path)["jobs"]
    reports = [
        (name, job, step)
        for name, job in jobs.items()
        for step in job.get("steps", [])
        if "scripts/ci_report.py" in step.get("run", "")
    ]
    assert reports, f"{path.name} never reports to Slack"
    for name, job, step in reports:
        assert "always()" in str(step.get("if", "")) or "always()" in str(job.get("if", "")), name
        assert step["env"]["SLACK_WEBHOOK_URL"] == "${{ secrets.SLACK_WEBHOOK_URL }}"
        assert {"CI_COMMIT", "CI_TITLE"} <= set(step["env"])
        assert {"CI_RESULT", "CI_JOBS"} & set(step["env"]), "the report carries the result"
        if job.get("needs"):
            needed = {job["needs"]} if isinstance(job["needs"], str) else set(job["needs"])
            assert needed == set(jobs) - {name}, "the report waits for every other job"


def guarded_secrets(jobs: dict[str, dict[str, Any]], name: str) -> set[str]:
    """Secrets checked by the job's own first step or by the first step of a job it needs."""
    job = jobs[name]
    step = require_step(job)
    checked = set(step["env"]["REQUIRED_SECRETS"].split()) if step else set()
    needs = job.get("needs", [])
    for needed in [needs] if isinstance(needs, str) else needs:
        if "always()" not in str(job.get("if", "")):
            checked |= guarded_secrets(jobs, needed)
    return checked


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_secret_is_checked_before_any_other_step(path: Path):
    jobs = load(path)["jobs"]
    for name, job in jobs.items():
        used = secrets_used(job)
        assert used <= guarded_secrets(jobs, name), f"{name}: {used - guarded_secrets(jobs, name)} not checked first"
        step = require_step(job)
        if step:
            assert set(step["env"]["REQUIRED_SECRETS"].split()) == secrets_used(step) == used | secrets_used(step)


def require_steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, name, step)
        for path in WORKFLOW_FILES
        for name, job in load(path)["jobs"].items()
        if (step := require_step(job)) is not None
    ]


REQUIRE_STEPS = require_steps()
REQUIRE_STEP_IDS = [f"{workflow}:{job}" for workflow, job, _ in REQUIRE_STEPS]


@pytest.mark.parametrize(("workflow", "job", "step"), REQUIRE_STEPS, ids=REQUIRE_STEP_IDS)
def test_a_missing_secret_fails_the_first_step_and_is_named(workflow: str, job: str, step: dict, tmp_path: Path):
    required = step["env"]["REQUIRED_SECRETS"].split()
    missing = required[-1]
    env = {"REQUIRED_SECRETS": step["env"]["REQUIRED_SECRETS"], "DAILYGE_ENV": "prod"}
    env |= {name: "set" for name in required if name != missing}
    result = run_step(step, env | {missing: ""}, tmp_path)
    assert result.returncode == 1
    assert f"::error title=Missing secret {missing}::the secret {missing} is not set" in result.stdout
    assert all(f"secret {name} " not in result.stdout for name in required if name != missing)


@pytest.mark.parametrize(("workflow", "job", "step"), REQUIRE_STEPS, ids=REQUIRE_STEP_IDS)
def test_every_missing_secret_is_named_at_once(workflow: str, job: str, step: dict, tmp_path: Path):
    required = step["env"]["REQUIRED_SECRETS"].split()
    result = run_step(step, {"REQUIRED_SECRETS": step["env"]["REQUIRED_SECRETS"], "DAILYGE_ENV": "dev"}, tmp_path)
    assert result.returncode == 1
    assert [line.split("::")[1] for line in result.stdout.splitlines()] == [
        f"error title=Missing secret {name}" for name in required
    ]


@pytest.mark.parametrize(("workflow", "job", "step"), REQUIRE_STEPS, ids=REQUIRE_STEP_IDS)
def test_the_first_step_passes_when_every_secret_is_set(workflow: str, job: str, step: dict, tmp_path: Path):
    required = step["env"]["REQUIRED_SECRETS"].split()
    env = {"REQUIRED_SECRETS": step["env"]["REQUIRED_SECRETS"], "DAILYGE_ENV": "dev"} | dict.fromkeys(required, "x")
    result = run_step(step, env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::error" not in result.stdout


def test_release_goes_to_dev_then_to_prod_behind_its_reviewers():
    workflow = load(WORKFLOWS_DIR / "release.yml")
    on = triggers(workflow)
    assert on["repository_dispatch"] == {"types": ["release"]}
    assert on["workflow_dispatch"]["inputs"]["tag"]["required"] is True
    jobs = workflow["jobs"]
    assert jobs["release-dev"]["environment"]["name"] == "dev"
    assert jobs["release-prod"]["environment"]["name"] == "prod"  # required reviewers gate this job
    assert "release-dev" in jobs["release-prod"]["needs"], "prod is released only after dev's release and acceptance"
    for env in ("dev", "prod"):
        job = jobs[f"release-{env}"]
        assert job["concurrency"] == {"group": f"dailyge-{env}", "cancel-in-progress": False}
        script = next(step["run"] for step in job["steps"] if "ansible-playbook" in step.get("run", ""))
        assert script.split()[1:] == [
            "playbooks/release.yml", "-i", '"inventories/${DAILYGE_ENV}"', "-e", '"image_tag=${IMAGE_TAG}"',
        ]  # fmt: skip


def test_deploy_never_sets_the_image():
    text = (WORKFLOWS_DIR / "deploy.yml").read_text()
    assert "image_tag" not in text.lower() and "IMAGE_TAG" not in text


@pytest.mark.parametrize(
    ("tag", "accepted"), [("3f9c2ab", True), ("v1.4.0-rc.2", True), ("", False), ("bad tag", False), ("-x", False)]
)
def test_the_release_workflow_refuses_a_malformed_tag_first(tag: str, accepted: bool, tmp_path: Path):
    step = load(WORKFLOWS_DIR / "release.yml")["jobs"]["tag"]["steps"][0]
    result = run_step(step, {"IMAGE_TAG": tag, "IMAGE_COMMIT": ""}, tmp_path)
    assert (result.returncode == 0) is accepted, result.stdout + result.stderr
    outputs = (tmp_path / "github_output").read_text()
    if accepted:
        assert f"tag={tag}\n" in outputs and f"commit={tag}\n" in outputs
    else:
        assert "::error title=Bad image tag::" in result.stdout and outputs == ""
