# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release engine: one image tag of ECR onto one ECS service, and the record of the releases.

`plan_release` only reads and refuses (every refusal before any write); `apply_release` registers
the task definition revision, updates the service and waits for its rollout. `ReleaseError` carries
the one line the module fails with. The clients are boto3 clients wrapped with a retry decorator
(calls opt in with `aws_retry=True`); the clock is `waiting.Clock` so tests run timeouts at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ansible_collections.dailyge.infra.plugins.module_utils.waiting import Clock

TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
REGISTRABLE_FIELDS = (
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
    "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
    "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform",
)  # fmt: skip
RECORD_KEYS = ("tag", "digest", "image")


class ReleaseError(Exception):
    """A refusal or a failed release; the message is one line naming the tag, repository or service."""


@dataclass
class Plan:
    """What a release would do, found by reads only."""

    cluster: str
    service: str
    container: str
    tag: str
    digest: str
    target_image: str
    task_definition: dict[str, Any]
    tags: list[dict[str, str]]
    current_image: str

    @property
    def changed(self) -> bool:
        return self.current_image != self.target_image

    @property
    def previous(self) -> dict[str, Any]:
        return {
            "task_definition_arn": self.task_definition["taskDefinitionArn"],
            "revision": self.task_definition["revision"],
            "image": self.current_image,
        }

    def diff(self) -> dict[str, Any]:
        after = self.task_definition["taskDefinitionArn"] if not self.changed else "(new revision)"
        return {
            "before": {"task_definition": self.task_definition["taskDefinitionArn"], "image": self.current_image},
            "after": {"task_definition": after, "image": self.target_image},
        }


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def validate_tag(tag: str, repository: str, moving_tags: list[str]) -> None:
    if not TAG_PATTERN.match(tag or ""):
        raise ReleaseError(
            f"image_tag={tag} is not a valid image tag (letters, digits, '_', '.', '-', at most 128, "
            f"not starting with '.' or '-') of ECR repository {repository}"
        )
    if tag.lower() in {moving.lower() for moving in moving_tags}:
        raise ReleaseError(
            f"image_tag={tag} is a moving tag: release an immutable tag (the build's commit) "
            f"of ECR repository {repository}"
        )


def image_reference(ecr: Any, repository: str, tag: str) -> tuple[str, str]:
    """(repositoryUri, digest) of `repository:tag`; ReleaseError when the tag or the repository is missing."""
    try:
        details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}], aws_retry=True)
        repo = ecr.describe_repositories(repositoryNames=[repository], aws_retry=True)["repositories"][0]
    except Exception as exc:
        if error_code(exc) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise ReleaseError(f"image_tag={tag} is not in ECR repository {repository}") from exc
        raise
    found = details.get("imageDetails") or []
    if not found:
        raise ReleaseError(f"image_tag={tag} is not in ECR repository {repository}")
    return repo["repositoryUri"], found[0]["imageDigest"]


def active_service(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    try:
        answer = ecs.describe_services(cluster=cluster, services=[service], aws_retry=True)
    except Exception as exc:
        if error_code(exc) == "ClusterNotFoundException":
            raise ReleaseError(f"service {service} does not exist in ECS cluster {cluster}") from exc
        raise
    for found in answer.get("services") or []:
        if found.get("serviceName") == service and found.get("status") == "ACTIVE":
            return found
    raise ReleaseError(f"service {service} does not exist in ECS cluster {cluster}")


def container_image(definition: dict[str, Any], container: str, service: str) -> str:
    for candidate in definition.get("containerDefinitions") or []:
        if candidate.get("name") == container:
            return candidate.get("image", "")
    names = ", ".join(c.get("name", "?") for c in definition.get("containerDefinitions") or [])
    raise ReleaseError(
        f"container={container} is not a container of {family_revision(definition)}, "
        f"the task definition of service {service} (containers: {names})"
    )


def family_revision(definition: dict[str, Any]) -> str:
    return f"{definition.get('family')}:{definition.get('revision')}"


def plan_release(ecr: Any, ecs: Any, params: dict[str, Any]) -> Plan:
    """Every check of a release, by reads only; raises ReleaseError with the refusal."""
    tag, repository = params["image_tag"], params["repository"]
    validate_tag(tag, repository, params["moving_tags"] or [])
    uri, digest = image_reference(ecr, repository, tag)
    expected = params.get("expected_digest")
    if expected and expected != digest:
        raise ReleaseError(
            f"image_tag={tag} of ECR repository {repository} is {digest}, not the expected_digest {expected}"
        )
    service = active_service(ecs, params["cluster"], params["service"])
    answer = ecs.describe_task_definition(taskDefinition=service["taskDefinition"], include=["TAGS"], aws_retry=True)
    definition = answer["taskDefinition"]
    current = container_image(definition, params["container"], params["service"])
    return Plan(
        cluster=params["cluster"],
        service=params["service"],
        container=params["container"],
        tag=tag,
        digest=digest,
        target_image=f"{uri}:{tag}@{digest}",
        task_definition=definition,
        tags=answer.get("tags") or [],
        current_image=current,
    )


def registration(definition: dict[str, Any], tags: list[dict[str, str]], container: str, image: str) -> dict[str, Any]:
    """RegisterTaskDefinition arguments: a copy of `definition` that differs only in `container`'s image."""
    copied = {field: json.loads(json.dumps(definition[field])) for field in REGISTRABLE_FIELDS if field in definition}
    for candidate in copied["containerDefinitions"]:
        if candidate.get("name") == container:
            candidate["image"] = image
    if tags:
        copied["tags"] = tags
    return copied


def deployment_state(service: dict[str, Any], arn: str) -> tuple[str, dict[str, Any] | None]:
    """`completed`, `failed` or `in_progress` for the deployment of task definition `arn`, and the PRIMARY one."""
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    ours = next((d for d in deployments if d.get("taskDefinition") == arn), None)
    if ours is not None and ours.get("rolloutState") == "FAILED":
        return "failed", primary
    if primary is None or primary.get("taskDefinition") != arn:
        return "failed", primary
    if primary.get("rolloutState") == "COMPLETED":
        return "completed", primary
    return "in_progress", primary


def wait_for_rollout(
    ecs: Any, plan: Plan, arn: str, revision: int, timeout: float, delay: float, clock: Clock
) -> dict[str, Any]:
    """Poll DescribeServices until the new deployment is COMPLETED; ReleaseError when it fails or times out."""
    family = plan.task_definition["family"]
    started = clock.monotonic()
    while True:
        service = active_service(ecs, plan.cluster, plan.service)
        state, primary = deployment_state(service, arn)
        if state == "completed":
            return service
        if state == "failed":
            ours = next((d for d in service.get("deployments") or [] if d.get("taskDefinition") == arn), {})
            reason = ours.get("rolloutStateReason") or "rolled back"
            returned = service.get("taskDefinition") or (primary or {}).get("taskDefinition", "")
            if returned == arn:  # a circuit breaker without rollback leaves the failed deployment PRIMARY
                raise ReleaseError(
                    f"the deployment of {family}:{revision} failed ({reason}): service {plan.service} was not "
                    f"rolled back (the circuit breaker's rollback is off) and runs no healthy task of it"
                )
            # The rolled-back revision is deregistered: the newest ACTIVE revision is the running one again,
            # so Terraform (track_latest) sees no change and a deploy does not move the service.
            ecs.deregister_task_definition(taskDefinition=arn, aws_retry=True)
            raise ReleaseError(
                f"the deployment of {family}:{revision} failed ({reason}): the circuit breaker returned service "
                f"{plan.service} to {returned_to(ecs, returned)}; {family}:{revision} deregistered"
            )
        waited = clock.monotonic() - started
        if waited >= timeout:
            raise ReleaseError(
                f"the deployment of {family}:{revision} (image_tag={plan.tag}) to service {plan.service} is still "
                f"IN_PROGRESS after {timeout:.0f} s (wait_timeout)"
            )
        clock.sleep(min(delay, max(timeout - waited, 0.0)))


def returned_to(ecs: Any, arn: str) -> str:
    """`family:revision (image)` of the task definition the service returned to."""
    try:
        definition = ecs.describe_task_definition(taskDefinition=arn, aws_retry=True)["taskDefinition"]
    except Exception:  # the message still names the ARN
        return arn
    images = ", ".join(c.get("image", "") for c in definition.get("containerDefinitions") or [])
    return f"{family_revision(definition)} ({images})"


def apply_release(ecs: Any, plan: Plan, params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Register the revision, move the service onto it and wait; the `current` of the result."""
    args = registration(plan.task_definition, plan.tags, plan.container, plan.target_image)
    registered = ecs.register_task_definition(**args, aws_retry=True)["taskDefinition"]
    arn, revision = registered["taskDefinitionArn"], registered["revision"]
    ecs.update_service(cluster=plan.cluster, service=plan.service, taskDefinition=arn, aws_retry=True)
    wait_for_rollout(ecs, plan, arn, revision, params["wait_timeout"], params["wait_delay"], clock)
    return current_view(plan, arn, revision)


def current_view(plan: Plan, arn: str, revision: int) -> dict[str, Any]:
    return {
        "task_definition_arn": arn,
        "revision": revision,
        "image": plan.target_image,
        "tag": plan.tag,
        "digest": plan.digest,
    }


# The record of an environment's releases (an SSM String parameter).


def parse_record(value: str | None) -> dict[str, Any] | None:
    """The release record in a parameter value, or None (the bootstrap placeholder, or not JSON)."""
    try:
        parsed = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not all(parsed.get(key) for key in RECORD_KEYS):
        return None
    return parsed


def render_record(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def missing_record_keys(record: dict[str, Any] | None) -> list[str]:
    return [key for key in RECORD_KEYS if not (record or {}).get(key)]


def read_parameter(ssm: Any, name: str) -> str:
    try:
        return ssm.get_parameter(Name=name, aws_retry=True)["Parameter"]["Value"]
    except Exception as exc:
        if error_code(exc) == "ParameterNotFound":
            raise ReleaseError(f"SSM parameter {name} does not exist: run site.yml first") from exc
        raise


def parameter_history(ssm: Any, name: str) -> list[dict[str, Any]]:
    """Every release record of the parameter's history, oldest first (other values skipped)."""
    records, token = [], None
    while True:
        kwargs = {"Name": name, "MaxResults": 50}
        if token:
            kwargs["NextToken"] = token
        answer = ssm.get_parameter_history(**kwargs, aws_retry=True)
        for version in sorted(answer.get("Parameters") or [], key=lambda item: item.get("Version", 0)):
            record = parse_record(version.get("Value"))
            if record is not None:
                records.append(record)
        token = answer.get("NextToken")
        if not token:
            return records


def query_records(ssm: Any, name: str) -> dict[str, Any]:
    current = parse_record(read_parameter(ssm, name))
    history = parameter_history(ssm, name)
    accepted = [record for record in history if record.get("accepted") is True]
    current_digest = (current or {}).get("digest")
    target = next((record for record in reversed(accepted) if record["digest"] != current_digest), None)
    digests = []
    for record in accepted:
        if record["digest"] not in digests:
            digests.append(record["digest"])
    return {"current": current, "history": history, "accepted_digests": digests, "rollback_target": target}
