"""playbooks/release.yml against the session's converged local stack (issue 11).

Images are "pushed" with the README's `python -m emulator push-image`; the emulator models ECS
deployments as AWS does (a new PRIMARY deployment, IN_PROGRESS then COMPLETED, or rolled back by the
circuit breaker for an image whose tasks never become healthy). The tests run in file order and each
leaves the service on an accepted release. That a deploy (site.yml) never moves the released image is
tested by test_local_converge, which releases between its two converges.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from support import REPO_ROOT, LocalStack, PlaybookRun, ansible_env, run_playbook, without_run_lock

from emulator import recording

pytestmark = pytest.mark.integration

PLAYBOOK = "playbooks/release.yml"


def tag(name: str) -> str:
    """A tag of this session (moto keeps the emulator's images for the whole session)."""
    return f"{name}-{uuid.uuid4().hex[:7]}"


def push(local_stack: LocalStack, stack: dict[str, Any], image_tag: str, *, failing: bool = False) -> str:
    """The README's push-image, as written; returns the digest it prints."""
    argv = [sys.executable, "-m", "emulator", "push-image", "--repository", stack["ecr_repository_name"]]
    argv += ["--tag", image_tag] + (["--failing"] if failing else [])
    done = subprocess.run(
        argv, cwd=REPO_ROOT, env=ansible_env(local_stack.emulator.env), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    digest = done.stdout.strip().split()[-1]
    assert digest.startswith("sha256:"), done.stdout
    return digest


def release(local_stack: LocalStack, *args: str) -> PlaybookRun:
    return run_playbook(PLAYBOOK, "-i", "inventories/local", *args, env=local_stack.emulator.env)


def service(local_stack: LocalStack, stack: dict[str, Any]) -> dict[str, Any]:
    ecs = local_stack.emulator.client("ecs")
    return ecs.describe_services(cluster=stack["ecs_cluster_name"], services=[stack["ecs_service_name"]])["services"][0]


def running_image(local_stack: LocalStack, stack: dict[str, Any]) -> str:
    ecs = local_stack.emulator.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=service(local_stack, stack)["taskDefinition"])
    [container] = [c for c in definition["taskDefinition"]["containerDefinitions"] if c["name"] == "api"]
    return container["image"]


def record(local_stack: LocalStack, stack: dict[str, Any]) -> dict[str, Any]:
    ssm = local_stack.emulator.client("ssm")
    return json.loads(ssm.get_parameter(Name=stack["api_release_parameter"])["Parameter"]["Value"])


def revisions(local_stack: LocalStack, stack: dict[str, Any]) -> int:
    ecs = local_stack.emulator.client("ecs")
    return len(ecs.list_task_definitions(familyPrefix=stack["ecs_task_definition_family"])["taskDefinitionArns"])


@pytest.fixture(scope="module")
def stack(local_stack: LocalStack) -> Iterator[dict[str, Any]]:
    """The stack, with today's daily snapshot the acceptance checks need (deleted again at the end)."""
    backup = run_playbook("playbooks/ops/backup.yml", "-i", "inventories/local", env=local_stack.emulator.env)
    assert backup.returncode == 0, backup.failure_messages() or backup.stdout[-3000:]
    yield local_stack.stack()
    rds = local_stack.emulator.client("rds")
    for snapshot in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]:
        if "-daily-" in snapshot["DBSnapshotIdentifier"]:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


@pytest.fixture(scope="module")
def first(local_stack: LocalStack, stack: dict[str, Any]) -> dict[str, str]:
    """Tag A released (as the README writes it, <tag> a pushed tag): its tag, digest and the run."""
    image_tag = tag("a")
    digest = push(local_stack, stack, image_tag)
    before = record(local_stack, stack)
    slack_before = len(local_stack.emulator.slack_texts())
    run = release(local_stack, "-e", f"image_tag={image_tag}")
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    return {"tag": image_tag, "digest": digest, "changed": str(run.changed), "before": json.dumps(before),
            "slack": "\n".join(local_stack.emulator.slack_texts()[slack_before:])}  # fmt: skip


def test_a_release_moves_the_service_onto_the_image_pinned_by_tag_and_digest(local_stack, stack, first):
    assert int(first["changed"]) > 0
    expected = f"{stack['ecr_repository_url']}:{first['tag']}@{first['digest']}"
    assert running_image(local_stack, stack) == expected
    [deployment] = service(local_stack, stack)["deployments"]
    assert deployment["status"] == "PRIMARY" and deployment["rolloutState"] == "COMPLETED"


def test_the_release_is_recorded_for_the_next_run_and_the_other_environments(local_stack, stack, first):
    found = record(local_stack, stack)
    assert found["environment"] == "local" and found["tag"] == first["tag"] and found["digest"] == first["digest"]
    assert found["accepted"] is True and found["result"] == "accepted"
    assert found["task_definition_arn"] == service(local_stack, stack)["taskDefinition"]
    assert found["revision"] == int(found["task_definition_arn"].rsplit(":", 1)[1])
    assert found["commit"] == first["tag"]  # no DAILYGE_RELEASE_COMMIT: the tag is the build's commit
    released_at = datetime.strptime(found["released_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - released_at).total_seconds()) < 900
    before = json.loads(first["before"])
    assert found["previous"] == ({k: before[k] for k in ("tag", "digest", "image")} if "tag" in before else None)


def test_one_slack_message_names_env_tag_previous_tag_duration_and_result(first):
    assert first["slack"].count("Dailyge local release") == 1, first["slack"]
    assert f"release {first['tag']}: SUCCESS in " in first["slack"]
    assert f"tag {first['tag']}, previous tag " in first["slack"]


def test_releasing_the_running_tag_changes_nothing_and_writes_nothing(local_stack, stack, first):
    recording.reset(local_stack.emulator.endpoint)
    again = release(local_stack, "-e", f"image_tag={first['tag']}")
    calls = recording.calls(local_stack.emulator.endpoint)
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()
    assert without_run_lock(calls)["writes"] == 0, without_run_lock(calls)["write_calls"]


def test_check_diff_shows_the_task_definition_change_and_writes_nothing(local_stack, stack, first):
    image_tag = tag("checked")
    digest = push(local_stack, stack, image_tag)
    count, running = revisions(local_stack, stack), running_image(local_stack, stack)
    recording.reset(local_stack.emulator.endpoint)
    checked = release(local_stack, "-e", f"image_tag={image_tag}", "--check", "--diff")
    calls = recording.calls(local_stack.emulator.endpoint)
    assert checked.returncode == 0, checked.failure_messages()
    assert checked.changed > 0
    assert f"{stack['ecr_repository_url']}:{image_tag}@{digest}" in checked.stdout  # the diff's new image
    assert without_run_lock(calls)["writes"] == 0, without_run_lock(calls)["write_calls"]
    assert (revisions(local_stack, stack), running_image(local_stack, stack)) == (count, running)


def test_rollback_returns_to_the_previous_accepted_release(local_stack, stack, first):
    second = tag("b")
    push(local_stack, stack, second)
    forward = release(local_stack, "-e", f"image_tag={second}")
    assert forward.returncode == 0, forward.failure_messages() or forward.stdout[-3000:]
    assert record(local_stack, stack)["tag"] == second
    back = release(local_stack, "-e", "rollback=true")  # the README's command, as written
    assert back.returncode == 0, back.failure_messages() or back.stdout[-3000:]
    found = record(local_stack, stack)
    assert (found["tag"], found["digest"], found["rollback"], found["accepted"]) == (
        first["tag"], first["digest"], True, True,
    )  # fmt: skip
    assert found["previous"]["tag"] == second
    assert running_image(local_stack, stack).endswith(f":{first['tag']}@{first['digest']}")


def test_a_deployment_the_circuit_breaker_rolls_back_fails_naming_the_revision_returned_to(local_stack, stack, first):
    bad = tag("failing")
    push(local_stack, stack, bad, failing=True)
    running, before = service(local_stack, stack)["taskDefinition"], record(local_stack, stack)
    run = release(local_stack, "-e", f"image_tag={bad}")
    assert run.returncode != 0
    message = " ".join(run.failure_messages())
    assert f"returned service {stack['ecs_service_name']} to {running.rsplit('/', 1)[1]}" in message, message
    assert service(local_stack, stack)["taskDefinition"] == running
    newest = local_stack.emulator.client("ecs").describe_task_definition(
        taskDefinition=stack["ecs_task_definition_family"]
    )
    assert newest["taskDefinition"]["taskDefinitionArn"] == running, "the rolled-back revision is deregistered"
    assert record(local_stack, stack) == before, "a failed release is not recorded as the running one"
    assert f"release {bad}: FAILURE" in "\n".join(local_stack.emulator.slack_texts()[-3:])


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["-e", "image_tag=never-pushed-{n}"], "image_tag=never-pushed-{n} is not in ECR repository {repo}"),
        (["-e", "image_tag=latest"], "image_tag=latest is a moving tag"),
        (["-e", "image_tag=bad/tag"], "image_tag=bad/tag is not a valid image tag"),
        ([], "no image_tag: give -e image_tag=<tag>"),
        (["-e", "image_tag=x1", "-e", "rollback=true"], "image_tag=x1 and rollback=true together"),
    ],
    ids=["unknown", "moving", "malformed", "none", "both"],
)
def test_bad_input_is_refused_in_one_line_before_anything_changes(local_stack, stack, first, extra, said):
    n = uuid.uuid4().hex[:6]
    extra = [word.format(n=n) for word in extra]
    count, running = revisions(local_stack, stack), running_image(local_stack, stack)
    run = release(local_stack, *extra)
    assert run.returncode != 0
    expected = said.format(n=n, repo=stack["ecr_repository_name"])
    assert any(expected in message for message in run.failure_messages()), run.failure_messages()
    assert (revisions(local_stack, stack), running_image(local_stack, stack)) == (count, running)


def test_a_service_that_does_not_exist_is_refused_naming_it(local_stack, stack, first):
    run = release(
        local_stack,
        "-e",
        f"image_tag={first['tag']}",
        "-e",
        json.dumps({"stack": stack | {"ecs_service_name": "gone"}}),
    )
    assert run.returncode != 0
    assert any(
        f"service gone does not exist in ECS cluster {stack['ecs_cluster_name']}" in m for m in run.failure_messages()
    )


def test_a_tag_the_upstream_environment_never_accepted_is_refused(local_stack, stack, first):
    """prod's rule (release_upstream_environment: dev) rehearsed with local as the upstream environment."""
    upstream = [
        "-e",
        "release_upstream_environment=local",
        "-e",
        f"release_upstream_parameter={stack['api_release_parameter']}",
    ]
    fresh = tag("unaccepted")
    push(local_stack, stack, fresh)
    count = revisions(local_stack, stack)
    refused = release(local_stack, "-e", f"image_tag={fresh}", *upstream)
    assert refused.returncode != 0
    assert any(f"image_tag={fresh} was never accepted in local" in m for m in refused.failure_messages())
    assert revisions(local_stack, stack) == count
    allowed = release(local_stack, "-e", f"image_tag={first['tag']}", *upstream)  # local accepted it
    assert allowed.returncode == 0, allowed.failure_messages()


def test_a_second_release_while_one_runs_is_refused_naming_the_holder(local_stack, stack, first):
    s3, key = local_stack.emulator.client("s3"), "locks/local.json"
    holder = {"pid": 4242, "host": "ci-runner-7", "user": "runner", "play": "Release",
              "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    s3.put_object(Bucket=stack["archive_bucket_name"], Key=key, Body=json.dumps(holder).encode())
    try:
        run = release(local_stack, "-e", f"image_tag={first['tag']}")
    finally:
        s3.delete_object(Bucket=stack["archive_bucket_name"], Key=key)
    assert run.returncode != 0
    message = " ".join(run.failure_messages())
    assert "another release of local is running (Release, pid 4242" in message and "ci-runner-7" in message, message
