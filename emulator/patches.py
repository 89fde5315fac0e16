"""Compatibility patches that make moto answer as AWS does where the AWS provider depends on it.

Each patch restores one documented AWS behaviour that moto's server gets wrong in a way that
breaks the Terraform AWS provider (a crash, or a plan that is never empty). They are applied
inside the emulator process only (`emulator.server`), never to the Terraform that dev and prod
use. Every patch has a test in `tests/unit/test_emulator_patches.py` showing the AWS behaviour.

A patch is a function decorated with `@patch`; its docstring says what AWS does, what moto does,
and what breaks without it. `apply_all()` applies each once and returns their names (reported
by the emulator's health endpoint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PATCHES: list[Callable[[], None]] = []
_applied: list[str] = []


def patch(func: Callable[[], None]) -> Callable[[], None]:
    """Register a compatibility patch."""
    PATCHES.append(func)
    return func


def apply_all() -> list[str]:
    """Apply every registered patch once; return their names in order."""
    for func in PATCHES:
        if func.__name__ not in _applied:
            func()
            _applied.append(func.__name__)
    return list(_applied)


@patch
def ecs_service_without_network_configuration() -> None:
    """ECS services in bridge/host network mode carry no `networkConfiguration`.

    AWS omits the field for services created without one (bridge mode, dynamic host ports).
    moto stores and returns `networkConfiguration: {}`, and the AWS provider dereferences the
    missing `awsvpcConfiguration` inside it and crashes while reading `aws_ecs_service`.
    """
    from moto.ecs import models

    original_init = models.Service.__init__

    def init_without_empty_network_configuration(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if not self.network_configuration:
            self.network_configuration = None

    models.Service.__init__ = init_without_empty_network_configuration


@patch
def ecs_tasks_stay_running() -> None:
    """A task whose desired status is RUNNING stays RUNNING until it is stopped.

    AWS keeps a service's task RUNNING for as long as it runs. moto advances every task one step
    towards STOPPED on each DescribeTasks call (its state-manager default), so a task vanishes
    after a few reads and nothing that watches running tasks (Prometheus targets) can be tested.
    StopTask still stops a task at once.
    """
    from moto.moto_api import state_manager

    state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 2**62})


ECS_EPHEMERAL_PORTS = (32768, 60999)


@patch
def ecs_dynamic_host_ports() -> None:
    """Tasks in bridge mode with `hostPort: 0` get a free ephemeral host port, shown in networkBindings.

    On AWS the ECS agent binds each such container port to a free port of the host's ephemeral
    range and DescribeTasks shows it in `containers[].networkBindings`; several tasks of one task
    definition share a host. moto reserves the literal port "0" (so a second task never fits on
    the instance) and returns no networkBindings at all, so dynamic-port discovery cannot work.
    """
    from moto.ecs import models

    original_requirements = models.EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements_without_dynamic_ports(task_definition: Any) -> dict[str, Any]:
        found = original_requirements(task_definition)
        found["PORTS"] = [port for port in found["PORTS"] if str(port) != "0"]
        return found

    models.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(
        requirements_without_dynamic_ports
    )

    original_init = models.Task.__init__

    def init_with_network_bindings(self: Any, cluster: Any, task_definition: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, cluster, task_definition, *args, **kwargs)
        if not self.container_instance_arn or task_definition.network_mode not in (None, "bridge"):
            return
        instance = self._backend.container_instances.get(cluster.name, {}).get(
            self.container_instance_arn.rsplit("/", 1)[-1]
        )
        used = getattr(instance, "dailyge_host_ports", set())
        if instance is not None:
            instance.dailyge_host_ports = used
        bindings = []
        for mapping in task_definition.container_definitions[0].get("portMappings") or []:
            port = int(mapping.get("hostPort") or 0)
            if port == 0:
                port = next(p for p in range(*ECS_EPHEMERAL_PORTS) if p not in used)
                used.add(port)
            bindings.append(
                {
                    "bindIP": "0.0.0.0",  # noqa: S104 - the value AWS reports, not a socket we bind
                    "containerPort": int(mapping["containerPort"]),
                    "hostPort": port,
                    "protocol": mapping.get("protocol", "tcp"),
                }
            )
        for container in self.containers:
            container.network_bindings = bindings
            container.last_status = "RUNNING"

    models.Task.__init__ = init_with_network_bindings


@patch
def ecs_list_tasks_by_service() -> None:
    """ListTasks with `serviceName` returns only the tasks of that service.

    AWS filters on the service (its tasks carry the group `service:<name>`); moto ignores the
    parameter and returns every task of the cluster.
    """
    from moto.ecs import models

    original_list_tasks = models.EC2ContainerServiceBackend.list_tasks

    def list_tasks(
        self: Any,
        cluster_str: str | None = None,
        container_instance: str | None = None,
        family: str | None = None,
        started_by: str | None = None,
        service_name: str | None = None,
        desiredStatus: str | None = None,  # noqa: N803 - moto's parameter name
    ) -> Any:
        tasks = original_list_tasks(self, cluster_str, container_instance, family, started_by, None, desiredStatus)
        if service_name:
            wanted = f"service:{service_name.rsplit('/', 1)[-1]}"
            tasks = [task for task in tasks if task.group == wanted]
        return tasks

    models.EC2ContainerServiceBackend.list_tasks = list_tasks


@patch
def ecs_describe_limits() -> None:
    """DescribeTasks and DescribeContainerInstances take at most 100 ARNs, as on AWS.

    AWS answers InvalidParameterException above 100; moto accepts any number, so a client that
    forgets to batch would pass every local test and fail in production.
    """
    from moto.ecs import exceptions, models

    original_tasks = models.EC2ContainerServiceBackend.describe_tasks
    original_instances = models.EC2ContainerServiceBackend.describe_container_instances

    def describe_tasks(self: Any, cluster_str: str, tasks: list[str]) -> Any:
        if tasks and len(tasks) > 100:
            raise exceptions.InvalidParameterException("Tasks cannot have more than 100 elements.")
        return original_tasks(self, cluster_str, tasks)

    def describe_container_instances(self: Any, cluster_str: str, arns: list[str]) -> Any:
        if arns and len(arns) > 100:
            raise exceptions.InvalidParameterException("Container instances cannot have more than 100 elements.")
        return original_instances(self, cluster_str, arns)

    models.EC2ContainerServiceBackend.describe_tasks = describe_tasks
    models.EC2ContainerServiceBackend.describe_container_instances = describe_container_instances
