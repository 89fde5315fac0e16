# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus file_sd targets for every running ECS task on its dynamic host port.

Used by the module `dailyge.infra.ecs_task_targets` and, unchanged, by the script that cron runs on
the monitoring host every minute (roles/prometheus/files/refresh_ecs_targets.py, copied beside this
file): it imports nothing but boto3 and the standard library, so the monitoring host needs no Ansible.

The API calls are batched to the AWS limits: ListTasks per service (100 per page),
DescribeTasks and DescribeContainerInstances 100 ARNs per call across all services, and one
DescribeInstances per 1000 instance IDs. For T tasks on I container instances in S services the
refresh makes sum(ceil(T_s/100)) + ceil(T/100) + ceil(I/100) + ceil(I/1000) calls.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

DESCRIBE_TASKS_MAX = 100
DESCRIBE_CONTAINER_INSTANCES_MAX = 100
DESCRIBE_INSTANCES_MAX = 1000
LIST_TASKS_PAGE = 100


class TargetsError(Exception):
    """A failure the caller reports as one line (the module's fail_json, the script's stderr)."""


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def list_service_tasks(ecs: Any, cluster: str, service: str) -> list[str]:
    """ARNs of the tasks of one service whose desired status is RUNNING (every page)."""
    arns: list[str] = []
    kwargs: dict[str, Any] = {
        "cluster": cluster,
        "serviceName": service,
        "desiredStatus": "RUNNING",
        "maxResults": LIST_TASKS_PAGE,
    }
    while True:
        page = ecs.list_tasks(**kwargs)
        arns.extend(page.get("taskArns", []))
        token = page.get("nextToken")
        if not token:
            return arns
        kwargs["nextToken"] = token


def describe_tasks(ecs: Any, cluster: str, arns: list[str]) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for batch in chunks(arns, DESCRIBE_TASKS_MAX):
        tasks.extend(ecs.describe_tasks(cluster=cluster, tasks=batch).get("tasks", []))
    return tasks


def describe_container_instances(ecs: Any, cluster: str, arns: list[str]) -> dict[str, str]:
    """Container instance ARN -> EC2 instance ID."""
    found: dict[str, str] = {}
    for batch in chunks(arns, DESCRIBE_CONTAINER_INSTANCES_MAX):
        answer = ecs.describe_container_instances(cluster=cluster, containerInstances=batch)
        for instance in answer.get("containerInstances", []):
            if instance.get("containerInstanceArn") and instance.get("ec2InstanceId"):
                found[instance["containerInstanceArn"]] = instance["ec2InstanceId"]
    return found


def describe_instances(ec2: Any, instance_ids: list[str]) -> dict[str, dict[str, str]]:
    """EC2 instance ID -> {private_ip, availability_zone} (instances without a private IP are left out)."""
    found: dict[str, dict[str, str]] = {}
    for batch in chunks(instance_ids, DESCRIBE_INSTANCES_MAX):
        kwargs: dict[str, Any] = {"InstanceIds": batch}
        while True:
            answer = ec2.describe_instances(**kwargs)
            for reservation in answer.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    address = instance.get("PrivateIpAddress")
                    if address:
                        zone = (instance.get("Placement") or {}).get("AvailabilityZone", "")
                        found[instance["InstanceId"]] = {"private_ip": address, "availability_zone": zone}
            token = answer.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
    return found


def task_definition_name(arn: str) -> str:
    """`arn:aws:ecs:...:task-definition/api:7` -> `api:7`."""
    return arn.rsplit("/", 1)[-1]


def host_port(task: dict[str, Any], container_port: int, container_name: str | None) -> int | None:
    """The host port bound to `container_port` (tcp) in the task, or None when none is bound yet."""
    for container in task.get("containers") or []:
        if container_name and container.get("name") != container_name:
            continue
        for binding in container.get("networkBindings") or []:
            if binding.get("containerPort") == container_port and binding.get("protocol", "tcp") == "tcp":
                port = binding.get("hostPort")
                if port:
                    return int(port)
    return None


def service_of(task: dict[str, Any]) -> str | None:
    """The service that started the task: ECS sets the task group to `service:<name>`."""
    group = task.get("group") or ""
    return group.split(":", 1)[1] if group.startswith("service:") else None


def build_targets(
    ecs: Any,
    ec2: Any,
    cluster: str,
    services: list[str],
    container_port: int = 8080,
    container_name: str | None = None,
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Collect the targets; returns {"groups": file_sd groups, "skipped": [...], "calls": {action: n}}."""
    calls: dict[str, int] = {}

    def counted(action: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[action] = calls.get(action, 0) + 1
            return func(*args, **kwargs)

        return call

    ecs_calls = CountingClient(ecs, counted)
    ec2_calls = CountingClient(ec2, counted)

    arns_by_service: dict[str, list[str]] = {}
    for service in dict.fromkeys(services):
        arns_by_service[service] = list_service_tasks(ecs_calls, cluster, service)
    wanted = {arn: service for service, arns in arns_by_service.items() for arn in arns}
    tasks = describe_tasks(ecs_calls, cluster, list(wanted))

    running = [task for task in tasks if task.get("lastStatus") == "RUNNING" and task.get("taskArn") in wanted]
    instance_arns = sorted({task["containerInstanceArn"] for task in running if task.get("containerInstanceArn")})
    ec2_ids = describe_container_instances(ecs_calls, cluster, instance_arns) if instance_arns else {}
    hosts = describe_instances(ec2_calls, sorted(set(ec2_ids.values()))) if ec2_ids else {}

    groups: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for task in running:
        task_arn = task["taskArn"]
        service = service_of(task) or wanted[task_arn]
        task_id = task_arn.rsplit("/", 1)[-1]
        port = host_port(task, container_port, container_name)
        host = hosts.get(ec2_ids.get(task.get("containerInstanceArn", ""), ""))
        if port is None or host is None:
            reason = "no host port bound to the container port" if port is None else "no EC2 private IP found"
            skipped.append({"task_id": task_id, "service": service, "reason": reason})
            continue
        labels = dict(extra_labels or {})
        labels.update(
            {
                "cluster": cluster,
                "service": service,
                "task_id": task_id,
                "task_definition": task_definition_name(task.get("taskDefinitionArn", "")),
                "availability_zone": task.get("availabilityZone") or host["availability_zone"],
                "instance_id": ec2_ids[task["containerInstanceArn"]],
            }
        )
        groups.append({"targets": [f"{host['private_ip']}:{port}"], "labels": labels})
    groups.sort(key=lambda group: (group["labels"]["service"], group["labels"]["task_id"]))
    skipped.sort(key=lambda item: (item["service"], item["task_id"]))
    return {"groups": groups, "skipped": skipped, "calls": calls}


class CountingClient:
    """Wraps a boto3 client so that every API method call is counted by action name."""

    def __init__(self, client: Any, counted: Callable[[str, Callable[..., Any]], Callable[..., Any]]) -> None:
        self._client = client
        self._counted = counted

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if callable(attribute) and not name.startswith(("_", "get_paginator", "get_waiter", "can_paginate")):
            action = "".join(part.capitalize() for part in name.split("_"))
            return self._counted(action, attribute)
        return attribute


def render(groups: Iterable[dict[str, Any]]) -> str:
    """The file_sd document: stable order and formatting, so unchanged targets give identical bytes."""
    return json.dumps(list(groups), indent=2, sort_keys=True) + "\n"


def read_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_atomic(path: str, content: str, mode: int = 0o644) -> None:
    """Write through a temporary file in the same folder and rename it over `path` (readers never see half)."""
    handle, temp_name = tempfile.mkstemp(prefix=".ecs_targets.", dir=Path(path).resolve().parent)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            temp.write(content)
            temp.flush()
            os.fsync(temp.fileno())
        temp_path.chmod(mode)
        temp_path.replace(path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


def refresh(
    ecs: Any,
    ec2: Any,
    cluster: str,
    services: list[str],
    dest: str,
    container_port: int = 8080,
    container_name: str | None = None,
    extra_labels: dict[str, str] | None = None,
    write: bool = True,
) -> dict[str, Any]:
    """Build the targets and write `dest` when its content differs (and `write` is true)."""
    found = build_targets(ecs, ec2, cluster, services, container_port, container_name, extra_labels)
    before = read_text(dest)
    after = render(found["groups"])
    changed = before != after
    if changed and write:
        write_atomic(dest, after)
    return found | {"changed": changed, "before": before or "", "after": after}
