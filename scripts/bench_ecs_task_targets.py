#!/usr/bin/env python3
"""Benchmark of dailyge.infra.ecs_task_targets: 500 tasks of 10 services on 50 container instances.

    make bench-ecs-targets        (or: python scripts/bench_ecs_task_targets.py --tasks 500 ...)

A fresh emulator (own free ports, temporary state, request recording on) gets 50 EC2 container
instances and 10 bridge-mode services on dynamic host ports with 50 tasks each. Then:

* the refresh as cron runs it (module_utils, no Ansible), several times: the first writes the file,
  the others find it unchanged. Wall time per refresh and the API calls the emulator recorded;
* the same through Ansible (`ansible localhost -m dailyge.infra.ecs_task_targets`), whose wall time
  includes Ansible's start-up.

The API calls are compared with the lower bound sum(ceil(T_s/100)) ListTasks + ceil(T/100)
DescribeTasks + ceil(I/100) DescribeContainerInstances (+ ceil(I/1000) DescribeInstances, which the
private IPs need). Results also go to .state/bench/ecs_task_targets.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "collections")]

from ansible_collections.dailyge.infra.plugins.module_utils import ecs_targets  # noqa: E402

from emulator import launcher, recording  # noqa: E402

REGION = "ap-northeast-2"
CLUSTER = "dailyge-bench"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clients(endpoint: str) -> tuple[Any, Any]:
    session = boto3.session.Session(
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's placeholder
        region_name=REGION,
    )
    return session.client("ecs", endpoint_url=endpoint), session.client("ec2", endpoint_url=endpoint)


def build(ecs: Any, ec2: Any, tasks: int, services: int, instances: int) -> list[str]:
    """The cluster; returns the service names. Tasks are spread round-robin over the instances."""
    ecs.create_cluster(clusterName=CLUSTER)
    found = ec2.run_instances(ImageId="ami-12c6146b", MinCount=instances, MaxCount=instances, InstanceType="m5.large")
    container_instances = []
    for instance in found["Instances"]:
        document = json.dumps({"instanceId": instance["InstanceId"]})
        answer = ecs.register_container_instance(cluster=CLUSTER, instanceIdentityDocument=document)
        container_instances.append(answer["containerInstance"]["containerInstanceArn"])
    names = [f"dailyge-bench-svc{index:02d}" for index in range(services)]
    per_service = [tasks // services + (1 if index < tasks % services else 0) for index in range(services)]
    placed = 0
    for name, count in zip(names, per_service, strict=True):
        ecs.register_task_definition(
            family=name,
            networkMode="bridge",
            containerDefinitions=[
                {
                    "name": "api",
                    "image": "dailyge/api:bench",
                    "cpu": 1,
                    "memory": 8,
                    "portMappings": [{"containerPort": 8080, "hostPort": 0}],
                }
            ],
        )
        ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=name, desiredCount=count)
        for start in range(0, count, len(container_instances)):
            chosen = [
                container_instances[(placed + i) % len(container_instances)]
                for i in range(min(count - start, len(container_instances)))
            ]
            placed += len(chosen)
            ecs.start_task(
                cluster=CLUSTER,
                taskDefinition=name,
                containerInstances=chosen,
                group=f"service:{name}",
                startedBy="ecs-svc/bench",
            )
    return names


def lower_bound(tasks_per_service: list[int], tasks: int, instances: int) -> dict[str, int]:
    return {
        "ListTasks": sum(max(1, math.ceil(count / 100)) for count in tasks_per_service),
        "DescribeTasks": math.ceil(tasks / 100),
        "DescribeContainerInstances": math.ceil(instances / 100),
    }


def run_cron_path(endpoint: str, services: list[str], dest: Path, repeats: int) -> list[dict[str, Any]]:
    ecs, ec2 = clients(endpoint)
    runs = []
    for _ in range(repeats):
        recording.reset(endpoint)
        started = time.perf_counter()
        result = ecs_targets.refresh(ecs, ec2, CLUSTER, services, str(dest))
        elapsed = time.perf_counter() - started
        recorded = Counter(call.action for call in recording.calls(endpoint))
        runs.append(
            {
                "seconds": round(elapsed, 3),
                "changed": result["changed"],
                "targets": len(result["groups"]),
                "calls": dict(recorded),
            }
        )
    return runs


def run_ansible_path(endpoint: str, services: list[str], dest: Path, repeats: int) -> list[dict[str, Any]]:
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_HOME=str(REPO_ROOT / ".ansible"),
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",  # noqa: S106 - the emulator's placeholder
        AWS_DEFAULT_REGION=REGION,
        PYTHONPATH=str(REPO_ROOT),
    )
    args = json.dumps({"cluster": CLUSTER, "services": services, "dest": str(dest)})
    command = [
        str(Path(sys.executable).parent / "ansible"),
        "localhost",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-m",
        "dailyge.infra.ecs_task_targets",
        "-a",
        args,
    ]
    runs = []
    for _ in range(repeats):
        recording.reset(endpoint)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"ansible failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        recorded = Counter(call.action for call in recording.calls(endpoint))
        runs.append({"seconds": round(elapsed, 3), "calls": dict(recorded)})
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-ecs-") as temp:
        state = Path(temp)
        settings = launcher.Settings(free_port(), free_port(), state)
        launcher.start(settings, {"MOTO_ENABLE_RECORDING": "true"})
        try:
            ecs, ec2 = clients(settings.endpoint)
            started = time.perf_counter()
            services = build(ecs, ec2, args.tasks, args.services, args.instances)
            setup = time.perf_counter() - started
            per_service = [len(ecs.list_tasks(cluster=CLUSTER, serviceName=name)["taskArns"]) for name in services]
            cron_runs = run_cron_path(settings.endpoint, services, state / "cron.json", args.repeats)
            ansible_runs = run_ansible_path(
                settings.endpoint, services, state / "ansible.json", max(2, args.repeats // 2)
            )
        finally:
            launcher.stop(settings)

    bound = lower_bound(per_service, args.tasks, args.instances)
    made = cron_runs[0]["calls"]
    report = {
        "tasks": args.tasks,
        "services": args.services,
        "container_instances": args.instances,
        "tasks_per_service": per_service,
        "setup_seconds": round(setup, 1),
        "lower_bound_calls": bound,
        "lower_bound_total": sum(bound.values()),
        "calls_per_refresh": made,
        "calls_per_refresh_total": sum(made.values()),
        "cron_path_runs": cron_runs,
        "cron_path_median_seconds": round(statistics.median(run["seconds"] for run in cron_runs), 3),
        "ansible_module_runs": ansible_runs,
        "ansible_module_median_seconds": round(statistics.median(run["seconds"] for run in ansible_runs), 3),
    }
    out = REPO_ROOT / ".state" / "bench" / "ecs_task_targets.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"ecs_task_targets: {args.tasks} tasks, {args.services} services, {args.instances} container instances")
    print(f"  targets found: {cron_runs[0]['targets']} (first refresh wrote the file: {cron_runs[0]['changed']})")
    cron_times = [run["seconds"] for run in cron_runs]
    ansible_times = [run["seconds"] for run in ansible_runs]
    extra = math.ceil(args.instances / 1000)
    print(f"  API calls per refresh: {sum(made.values())} {made}")
    print(f"  lower bound:           {sum(bound.values())} {bound} (+{extra} DescribeInstances for the IPs)")
    print(f"  wall time per refresh, cron path: {cron_times} s, median {report['cron_path_median_seconds']} s")
    print(
        f"  wall time, Ansible module (start-up incl.): {ansible_times} s,"
        f" median {report['ansible_module_median_seconds']} s"
    )
    print(f"  report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
