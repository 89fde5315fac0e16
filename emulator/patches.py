"""Compatibility patches that make moto answer as AWS does where the AWS provider depends on it.

Each patch restores one documented AWS behaviour that moto's server gets wrong in a way that
breaks the Terraform AWS provider (a crash, or a plan that is never empty). They are applied
inside the emulator process only (`emulator.server`), never to the Terraform that dev and prod
use. Every patch has a test in `tests/unit/test_emulator_patches*.py` showing the AWS behaviour.

A patch is a function decorated with `@patch`; its docstring says what AWS does, what moto does,
and what breaks without it. `apply_all()` applies each once and returns their names (reported
by the emulator's health endpoint).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
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
def rds_db_parameters_source_user() -> None:
    """Parameters set through Create/ModifyDBParameterGroup are reported with `Source: user`.

    AWS answers DescribeDBParameters with a `Source` for every parameter (`user` for the ones set
    by the caller, `engine-default`/`system` for the others) and filters on the `Source` request
    parameter. moto stores the parameters exactly as given (no `Source`) and ignores the filter.
    The AWS provider reads `Source=user` parameters to rebuild `parameter` blocks: without the
    field every configured parameter looks unset, so an `aws_db_parameter_group` drifts forever.
    """
    from moto.rds import models, responses

    original_update = models.DBParameterGroup.update_parameters

    def update_parameters_as_user(self: Any, new_parameters: Any) -> None:
        original_update(self, new_parameters)
        for parameter in self.parameters.values():
            parameter.setdefault("Source", "user")

    models.DBParameterGroup.update_parameters = update_parameters_as_user

    original_describe = responses.RDSResponse.describe_db_parameters

    def describe_db_parameters_by_source(self: Any) -> Any:
        result = original_describe(self)
        source = self.params.get("Source")
        if source:
            result.result["Parameters"] = [
                parameter for parameter in result.result["Parameters"] if parameter.get("Source") == source
            ]
        return result

    responses.RDSResponse.describe_db_parameters = describe_db_parameters_by_source


@patch
def cloudfront_origin_access_control_id() -> None:
    """CloudFront origins keep their `OriginAccessControlId`.

    AWS returns `OriginAccessControlId` on every origin of a distribution (empty when none).
    moto's `Origin` model never stores it, so GetDistribution answers without it: the provider
    sees `origin_access_control_id` removed and plans to set it again on every run, and a
    distribution reading its bucket through OAC cannot be verified.
    """
    from moto.cloudfront import models

    original_init = models.Origin.__init__

    def init_with_origin_access_control(self: Any, origin: dict[str, Any]) -> None:
        original_init(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    models.Origin.__init__ = init_with_origin_access_control


@patch
def ec2_security_group_rule_description_of_referenced_group() -> None:
    """Rules that reference another security group keep their description.

    AWS returns the `Description` of every rule from DescribeSecurityGroupRules, whatever its
    source. moto keeps the description of a group-referencing rule in the referenced-group
    part of the rule and reads it only from the CIDR part, so the description comes back empty:
    `aws_vpc_security_group_ingress_rule`/`egress_rule` with `referenced_security_group_id`
    then plan an in-place update of `description` on every run.
    """
    from moto.ec2.models import security_groups

    def description(self: Any) -> str | None:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    security_groups.SecurityGroupRule.description = property(description)


@patch
def ec2_monitor_instances() -> None:
    """MonitorInstances / UnmonitorInstances switch detailed monitoring of instances.

    AWS turns detailed monitoring on or off and answers with each instance's new state
    (`pending` / `disabling`). moto raises NotImplementedError (HTTP 500 with an HTML body), so
    the provider fails to create an `aws_instance` with `monitoring = true` (it calls
    MonitorInstances after RunInstances).
    """
    from moto.core.responses import ActionResult
    from moto.ec2.responses import monitoring

    def switch(self: Any, state: str, transition: str) -> ActionResult:
        self.error_on_dryrun()
        monitorings = []
        for instance_id in self._get_param("InstanceIds", []):
            instance = self.ec2_backend.get_instance(instance_id)
            instance.monitoring_state = state
            monitorings.append({"InstanceId": instance_id, "Monitoring": {"State": transition}})
        return ActionResult({"InstanceMonitorings": monitorings})

    monitoring.Monitoring.monitor_instances = lambda self: switch(self, "enabled", "pending")
    monitoring.Monitoring.unmonitor_instances = lambda self: switch(self, "disabled", "disabling")


@patch
def ec2_flow_log_s3_destination_with_prefix() -> None:
    """Flow logs accept an S3 destination with a key prefix (`arn:aws:s3:::bucket/prefix/`).

    AWS delivers flow logs under the prefix of the bucket named in the ARN. moto looks up the
    whole `bucket/prefix/` as a bucket name, reports it as missing and creates no flow log, so the
    provider fails to create an `aws_flow_log` that writes to a folder of the archive bucket.
    """
    from moto.ec2.models import flow_logs
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends

    original_create = flow_logs.FlowLogsBackend.create_flow_logs

    def create_flow_logs_with_prefix(self: Any, *args: Any, **kwargs: Any) -> Any:
        names = (
            "resource_type", "resource_ids", "traffic_type", "deliver_logs_permission_arn",
            "log_destination_type", "log_destination", "log_group_name", "log_format",
            "max_aggregation_interval",
        )  # fmt: skip
        call = dict(zip(names, args, strict=False)) | kwargs
        destination = call.get("log_destination") or ""
        if call.get("log_destination_type") != "s3" or "/" not in destination.split(":", 5)[-1]:
            return original_create(self, **call)
        bucket_arn = destination.split("/", 1)[0]
        bucket = bucket_arn.split(":", 5)[5]
        try:
            s3_backends[self.account_id][self.partition].get_bucket(bucket)
        except MissingBucket:
            return original_create(self, **call)
        created, unsuccessful = original_create(self, **(call | {"log_destination": bucket_arn}))
        for flow_log in created:
            flow_log.log_destination = destination
        return created, unsuccessful

    flow_logs.FlowLogsBackend.create_flow_logs = create_flow_logs_with_prefix


@patch
def ecs_service_keeps_its_create_settings() -> None:
    """CreateService keeps the capacity provider strategy, placement, grace period and deployment settings.

    AWS stores every setting of CreateService and returns it from DescribeServices; a service
    created with a `capacityProviderStrategy` has no `launchType`. moto's CreateService drops
    `capacityProviderStrategy`, `placementStrategy`, `placementConstraints`,
    `healthCheckGracePeriodSeconds`, `enableECSManagedTags`, `enableExecuteCommand`,
    `deploymentConfiguration` and `availabilityZoneRebalancing`, and reports `launchType: EC2`.
    The provider then plans to replace `aws_ecs_service` on every run (the capacity provider
    strategy forces a new service). UpdateService already stores what it is given.
    """
    from moto.ecs import responses

    settings = {
        "capacityProviderStrategy": "capacity_provider_strategy",
        "placementStrategy": "placement_strategy",
        "placementConstraints": "placement_constraints",
        "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
        "enableECSManagedTags": "enable_ecs_managed_tags",
        "enableExecuteCommand": "enable_execute_command",
        "deploymentConfiguration": "deployment_configuration",
        "availabilityZoneRebalancing": "availability_zone_rebalancing",
    }
    aws_defaults = {
        "enable_ecs_managed_tags": False,
        "enable_execute_command": False,
        "availability_zone_rebalancing": "DISABLED",
        "deployment_configuration": {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
    }
    original_create = responses.EC2ContainerServiceResponse.create_service

    def create_service_with_settings(self: Any) -> Any:
        result = original_create(self)
        service = result.result["service"]
        for attribute, value in aws_defaults.items():
            setattr(service, attribute, value)
        for parameter, attribute in settings.items():
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        if self._get_param("capacityProviderStrategy") and not self._get_param("launchType"):
            service.launch_type = None
            for deployment in service.deployments:
                deployment.pop("launchType", None)
                deployment["capacityProviderStrategy"] = service.capacity_provider_strategy
        return result

    responses.EC2ContainerServiceResponse.create_service = create_service_with_settings


@patch
def rds_instance_enhanced_monitoring() -> None:
    """DB instances keep `MonitoringInterval` and `MonitoringRoleArn` from CreateDBInstance.

    AWS returns the enhanced monitoring interval (0 when off) and its role. moto's DBInstance
    drops both at creation (ModifyDBInstance would store them), so the provider plans to set
    `monitoring_interval`/`monitoring_role_arn` on every run.
    """
    from moto.rds import models

    original_init = models.DBInstance.__init__

    def init_with_monitoring(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.monitoring_interval = int(kwargs.get("monitoring_interval") or 0)
        self.monitoring_role_arn = kwargs.get("monitoring_role_arn") if self.monitoring_interval else None

    models.DBInstance.__init__ = init_with_monitoring


@patch
def ec2_launch_template_tags_stay_on_the_template() -> None:
    """The TagSpecifications of CreateLaunchTemplate tag the template, not the instances it launches.

    AWS applies the request's `TagSpecifications` (resource type `launch-template`) to the
    launch template itself; only `LaunchTemplateData.TagSpecifications` are copied to what the
    template launches. moto also appends the request's tag specifications to the template data,
    so every version reports an extra `launch-template` tag specification: the provider plans to
    remove it (and a new template version) on every run.
    """
    from moto.ec2.responses import launch_templates

    original_create = launch_templates.LaunchTemplates.create_launch_template

    def create_launch_template_without_template_tags_in_data(self: Any) -> Any:
        data_specs = list(self._get_param("LaunchTemplateData", {}).get("TagSpecifications", []))
        result = original_create(self)
        template = self.ec2_backend.get_launch_template(result.result["LaunchTemplate"]["LaunchTemplateId"])
        for version in template.versions:
            version.data["TagSpecifications"] = data_specs
            if not data_specs:
                version.data.pop("TagSpecifications")
        return result

    launch_templates.LaunchTemplates.create_launch_template = create_launch_template_without_template_tags_in_data


# The request context of every call to the emulator as AWS would see it from the dev/prod clients.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def condition_holds(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    """AWS's evaluation of a policy Condition block for the few operators bucket policies here use.

    A key absent from the request context makes its condition false (the `...IfExists` operators
    true); an operator this function does not know makes the statement not apply.
    """
    for operator, tests in conditions.items():
        base, if_exists = (operator[: -len("IfExists")], True) if operator.endswith("IfExists") else (operator, False)
        for key, expected in tests.items():
            values = [str(value) for value in (expected if isinstance(expected, list) else [expected])]
            if base == "Bool":
                values = [value.lower() for value in values]
            actual = context.get(key)
            if actual is None:
                if if_exists:
                    continue
                return False
            if base in ("StringEquals", "Bool"):
                matched = actual in values
            elif base == "StringNotEquals":
                matched = actual not in values
            else:
                return False
            if not matched:
                return False
    return True


@patch
def s3_bucket_policy_conditions_evaluated_as_aws_does() -> None:
    """A bucket-policy statement applies only when its Condition holds for the request.

    AWS evaluates the conditions of each statement against the request context: the archive
    bucket's `DenyInsecureTransport` (Deny s3:* when `aws:SecureTransport` is false) denies
    plain-HTTP requests and nothing else. moto knows only `StringEquals` and treats every other
    condition (and every key it does not supply) as holding, so that statement denies every object
    write to the archive bucket - the log archive's markers, the heap dump uploads - although the
    clients of dev and prod reach S3 over TLS. The emulator stands in for AWS's TLS endpoints: the
    conditions are evaluated against that request context (`aws:SecureTransport` true).
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3 import models

    def get_permission_with_conditions(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        permitted = False
        for raw in statements:
            if not condition_holds(raw.get("Condition") or {}, REQUEST_CONTEXT):
                continue  # the statement does not apply to this request
            unconditional = {key: value for key, value in raw.items() if key != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    models.FakeBucket.get_permission = get_permission_with_conditions


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
def ecs_describe_task_definition_of_a_family_is_its_latest_active_revision() -> None:
    """DescribeTaskDefinition of a family (no revision) returns its latest ACTIVE revision, as on AWS.

    moto returns the latest revision even when it was deregistered (INACTIVE). A release whose
    deployment the circuit breaker rolled back deregisters its revision; Terraform's `track_latest`
    reads the family, so with stock moto it would see the failed image and plan to replace the task
    definition of a service that runs the recorded one.
    """
    from moto.ecs import exceptions, models

    original = models.EC2ContainerServiceBackend.describe_task_definition

    def describe_task_definition(self: Any, task_definition_str: str) -> Any:
        family = task_definition_str.split("/")[-1]
        if ":" in family or family not in self.task_definitions:
            return original(self, task_definition_str)
        active = [rev for rev, definition in self.task_definitions[family].items() if definition.status == "ACTIVE"]
        if not active:
            raise exceptions.TaskDefinitionNotFoundException()
        return self.task_definitions[family][max(active)]

    models.EC2ContainerServiceBackend.describe_task_definition = describe_task_definition


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


@patch
def lambda_function_kms_key_arn() -> None:
    """Functions keep the `KMSKeyArn` that encrypts their environment variables.

    AWS returns the customer managed key given to CreateFunction or UpdateFunctionConfiguration in
    the function's configuration (`KMSKeyArn`). moto drops it, so `aws_lambda_function.kms_key_arn`
    is a change in every plan.
    """
    from moto.awslambda import models

    original_init = models.LambdaFunction.__init__
    original_configuration = models.LambdaFunction.get_configuration
    original_update = models.LambdaFunction.update_configuration

    def init_keeping_the_key(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.environment_kms_key_arn = spec.get("KMSKeyArn")

    def configuration_with_the_key(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        configuration = original_configuration(self, *args, **kwargs)
        if getattr(self, "environment_kms_key_arn", None):
            configuration["KMSKeyArn"] = self.environment_kms_key_arn
        return configuration

    def update_keeping_the_key(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "KMSKeyArn" in config_updates:
            self.environment_kms_key_arn = config_updates["KMSKeyArn"] or None
        return original_update(self, config_updates)

    models.LambdaFunction.__init__ = init_keeping_the_key
    models.LambdaFunction.get_configuration = configuration_with_the_key
    models.LambdaFunction.update_configuration = update_keeping_the_key


EXPORT_ACTIVE = ("PENDING", "RUNNING")


@patch
def logs_export_tasks_as_aws_does() -> None:
    """CreateExportTask exports [from, to) of the chosen streams, one task at a time, asynchronously.

    AWS (CloudWatch Logs CreateExportTask / DescribeExportTasks):
    - exports only the events with `from <= timestamp < to`, and with `logStreamNamePrefix` only
      the streams whose name starts with it; a stream without such an event gets no object;
    - writes `<destinationPrefix>/<taskId>/<logStreamName>/000000.gz` (and a write test object
      `<destinationPrefix>/aws-logs-write-test`);
    - runs the task in the background: `PENDING`, then `RUNNING`, then `COMPLETED`, with
      `executionInfo.creationTime` / `completionTime`; DescribeExportTasks filters on `statusCode`;
    - allows one active (`PENDING` or `RUNNING`) export task per account and region: another
      CreateExportTask fails with `LimitExceededException`; CancelExportTask of a finished task
      fails with `InvalidOperationException`.

    moto exports every event up to and including `to` of every stream at once, ignores
    `logStreamNamePrefix`, names the task's folder with a random id instead of the task id, reports
    neither `executionInfo` nor a busy slot, and the task is `COMPLETED` before CreateExportTask
    returns. A job that relies on the time range (the log archive deletes a stream only once every
    event is inside a verified export that started after the stream's last ingestion) could not be
    tested against it: the events of an archived day written later were "exported" anyway.

    Here the task is `PENDING` when created and advances one step each time DescribeExportTasks
    reports it (`RUNNING`, then `COMPLETED`: the objects are written at that step), so a caller that
    polls as it must on AWS sees it finish, and a second CreateExportTask before then gets
    `LimitExceededException`.
    """
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import unix_time_millis
    from moto.logs import models, responses
    from moto.logs.exceptions import InvalidParameterException, LimitExceededException, ResourceNotFoundException
    from moto.moto_api._internal import mock_random
    from moto.s3.models import MissingBucket, s3_backends

    original_init = models.ExportTask.__init__

    def init_pending(self: Any, *args: Any, stream_prefix: str | None = None, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.stream_prefix = stream_prefix
        self.status = {"code": "PENDING", "message": "Pending"}
        self.execution_info = {"creationTime": int(unix_time_millis())}

    def to_json(self: Any) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "taskName": self.task_name,
            "logGroupName": self.log_group_name,
            "destination": self.destination,
            "destinationPrefix": self.destination_prefix,
            "from": self.from_time,
            "to": self.to,
            "status": dict(self.status),
            "executionInfo": dict(self.execution_info),
        }

    def create_export_task(
        self: Any,
        taskName: str,  # noqa: N803 - moto's keyword names
        logGroupName: str,  # noqa: N803
        destination: str,
        destinationPrefix: str,  # noqa: N803
        fromTime: int,  # noqa: N803
        to: int,
        logStreamNamePrefix: str | None = None,  # noqa: N803
    ) -> str:
        try:
            s3_backends[self.account_id][self.partition].get_bucket(destination)
        except MissingBucket:
            raise InvalidParameterException(
                "The given bucket does not exist. Please make sure the bucket is valid."
            ) from None
        if logGroupName not in self.groups:
            raise ResourceNotFoundException("The specified log group does not exist.")
        if any(task.status["code"] in EXPORT_ACTIVE for task in self.export_tasks.values()):
            raise LimitExceededException()
        task_id = str(mock_random.uuid4())
        self.export_tasks[task_id] = models.ExportTask(
            task_id,
            taskName,
            logGroupName,
            destination,
            destinationPrefix,
            fromTime,
            to,
            stream_prefix=logStreamNamePrefix,
        )
        s3_backends[self.account_id][self.partition].put_object(
            bucket_name=destination,
            key_name=f"{destinationPrefix}/aws-logs-write-test",
            value=b"Permission Check Successful",
        )
        return task_id

    def run_export(self: Any, task: Any) -> None:
        s3 = s3_backends[self.account_id][self.partition]
        group = self.groups.get(task.log_group_name)
        for name, stream in sorted((group.streams if group else {}).items()):
            if task.stream_prefix and not name.startswith(task.stream_prefix):
                continue
            events = sorted(
                (event for event in stream.events if task.from_time <= event.timestamp < task.to),
                key=lambda event: event.timestamp,
            )
            if not events:
                continue
            lines = "\n".join(
                f"{datetime.fromtimestamp(event.timestamp / 1000, UTC):%Y-%m-%dT%H:%M:%S.%f}"[:-3]
                + f"Z {event.message}"
                for event in events
            )
            s3.put_object(
                bucket_name=task.destination,
                key_name=f"{task.destination_prefix}/{task.task_id}/{name}/000000.gz",
                value=gzip.compress((lines + "\n").encode()),
            )

    def advance(self: Any, task: Any) -> None:
        code = task.status["code"]
        if code == "PENDING":
            task.status = {"code": "RUNNING", "message": "Running"}
        elif code == "RUNNING":
            run_export(self, task)
            task.status = {"code": "COMPLETED", "message": "Completed successfully"}
            task.execution_info["completionTime"] = int(unix_time_millis())

    def describe_export_tasks(self: Any, task_id: str, status_code: str | None = None) -> list[Any]:
        if task_id:
            if task_id not in self.export_tasks:
                raise ResourceNotFoundException("The specified export task does not exist.")
            tasks = [self.export_tasks[task_id]]
        else:
            tasks = list(self.export_tasks.values())
        for task in tasks:
            advance(self, task)
        return [task for task in tasks if not status_code or task.status["code"] == status_code]

    def cancel_export_task(self: Any, task_id: str) -> None:
        task = self.export_tasks.get(task_id)
        if not task:
            raise ResourceNotFoundException("The specified export task does not exist.")
        if task.status["code"] not in EXPORT_ACTIVE:
            raise JsonRESTError("InvalidOperationException", "The specified export task has already finished")
        task.status = {"code": "CANCELLED", "message": "Cancelled by user"}
        task.execution_info["completionTime"] = int(unix_time_millis())

    def create_export_task_response(self: Any) -> str:
        task_id = self.logs_backend.create_export_task(
            logGroupName=self._get_param("logGroupName"),
            fromTime=self._get_int_param("from"),
            to=self._get_int_param("to"),
            destination=self._get_param("destination"),
            destinationPrefix=self._get_param("destinationPrefix", "exportedlogs"),
            taskName=self._get_param("taskName"),
            logStreamNamePrefix=self._get_param("logStreamNamePrefix"),
        )
        return json.dumps({"taskId": str(task_id)})

    def describe_export_tasks_response(self: Any) -> str:
        tasks = self.logs_backend.describe_export_tasks(
            task_id=self._get_param("taskId"), status_code=self._get_param("statusCode")
        )
        return json.dumps({"exportTasks": [task.to_json() for task in tasks]})

    models.ExportTask.__init__ = init_pending
    models.ExportTask.to_json = to_json
    models.LogsBackend.create_export_task = create_export_task
    models.LogsBackend.describe_export_tasks = describe_export_tasks
    models.LogsBackend.cancel_export_task = cancel_export_task
    responses.LogsResponse.create_export_task = create_export_task_response
    responses.LogsResponse.describe_export_tasks = describe_export_tasks_response


# The manifest annotation that makes the emulator's ECS fail the tasks of an image (push-image --failing).
FAILING_IMAGE_ANNOTATION = "org.dailyge.emulator/health"
# A new deployment is reported IN_PROGRESS by this many DescribeServices calls, then it ends.
ECS_ROLLOUT_DESCRIBES = 2
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."


def ecs_image_is_failing(account_id: str, region: str, image: str) -> bool:
    """Whether `image` (`<uri>:<tag>@sha256:...`) is an ECR image annotated as failing its health check."""
    from moto.ecr.models import ecr_backends

    if "@" not in image:
        return False
    digest = image.rsplit("@", 1)[1]
    for repository in ecr_backends[account_id][region].repositories.values():
        for found in repository.images:
            if found.get_image_digest() != digest:
                continue
            try:
                annotations = json.loads(found.image_manifest).get("annotations") or {}
            except ValueError:
                return False
            return annotations.get(FAILING_IMAGE_ANNOTATION) == "failing"
    return False


def ecs_new_deployment(service: Any, task_definition: str, rollout: str) -> dict[str, Any]:
    """A deployment of `task_definition` as DescribeServices shows it (placement settings of the service)."""
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    done = rollout == "COMPLETED"
    deployment = {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": service.desired_count,
        "runningCount": service.desired_count if done else 0,
        "pendingCount": 0 if done else service.desired_count,
        "failedTasks": 0,
        "rolloutState": rollout,
        "rolloutStateReason": f"ECS deployment {deployment_id} {'completed' if done else 'in progress'}.",
        "createdAt": utcnow(),
        "updatedAt": utcnow(),
    }
    if service.launch_type:
        deployment["launchType"] = service.launch_type
    strategy = getattr(service, "capacity_provider_strategy", None)
    if strategy:
        deployment["capacityProviderStrategy"] = strategy
    if service.platform_version:
        deployment["platformVersion"] = service.platform_version
    return deployment


def ecs_advance_rollout(backend: Any, service: Any, seen: dict[str, int]) -> None:
    """One DescribeServices step of the service's rollout (see ecs_deployments_roll_out_as_aws_does)."""
    from moto.core.utils import utcnow

    deployments = service.deployments
    if not deployments:
        return
    primary = deployments[0]
    if primary.get("rolloutState") != "IN_PROGRESS":
        if len(deployments) > 1 and primary.get("rolloutState") == "COMPLETED":
            service.deployments = [primary]  # the replaced (and failed) deployments are drained
        return
    seen[primary["id"]] = seen.get(primary["id"], 0) + 1
    if seen[primary["id"]] <= ECS_ROLLOUT_DESCRIBES:
        return
    definition = backend.describe_task_definition(primary["taskDefinition"])
    failing = any(
        ecs_image_is_failing(backend.account_id, backend.region_name, container.get("image", ""))
        for container in definition.container_definitions
    )
    breaker = (getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
    primary["updatedAt"] = utcnow()
    if not failing:
        primary.update(
            runningCount=primary["desiredCount"],
            pendingCount=0,
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {primary['id']} completed.",
        )
        service.deployments = [primary]
        return
    if not breaker.get("enable"):
        primary["failedTasks"] = primary.get("failedTasks", 0) + max(primary["desiredCount"], 1)
        return  # without a circuit breaker ECS keeps replacing the failed tasks: the rollout never ends
    primary.update(
        failedTasks=max(primary["desiredCount"], 1) * 2,
        runningCount=0,
        pendingCount=0,
        rolloutState="FAILED",
        rolloutStateReason=CIRCUIT_BREAKER_REASON,
    )
    previous = next((d for d in deployments[1:] if d.get("taskDefinition") != primary["taskDefinition"]), None)
    if not breaker.get("rollback") or previous is None:
        return
    primary["status"] = "ACTIVE"
    rollback = ecs_new_deployment(service, previous["taskDefinition"], "COMPLETED")
    service.task_definition = previous["taskDefinition"]
    service.deployments = [rollback, primary]


@patch
def ecs_deployments_roll_out_as_aws_does() -> None:
    """UpdateService starts a deployment that rolls out, completes or is rolled back by the circuit breaker.

    AWS: an UpdateService that changes the task definition (or forces a new deployment) makes the
    running deployment `ACTIVE` and puts a new `PRIMARY` deployment of the new task definition
    first, `rolloutState: IN_PROGRESS` with no running task. When its tasks are healthy it becomes
    `COMPLETED` (runningCount = desiredCount) and the old deployments are drained (they disappear
    from DescribeServices). When its tasks fail to start and the service's deployment circuit
    breaker is enabled, the deployment ends `FAILED` ("ECS deployment circuit breaker: tasks failed
    to start."); with `rollback: true` a new `PRIMARY` deployment of the previous task definition
    takes over and the service's `taskDefinition` returns to it. A new service starts with one
    `PRIMARY` deployment.

    moto only replaces `service.taskDefinition`: the deployments keep the old `PRIMARY` of the old
    task definition, `COMPLETED`, so a release that waits for its rollout passes at once for the
    wrong reason and a failing image can never be rolled back. Its new services also report
    `IN_PROGRESS` with no running task for ever (unless MOTO_ECS_SERVICE_RUNNING is set, which the
    launcher does not do).

    Here a new service's deployment is `COMPLETED` at once (runningCount = desiredCount); a new
    deployment is reported `IN_PROGRESS` by ECS_ROLLOUT_DESCRIBES DescribeServices calls and ends at
    the next one (counted calls, not wall time, so tests are deterministic): `COMPLETED`, or - when
    a container image's digest is an ECR image whose manifest has the annotation
    `org.dailyge.emulator/health: failing` (`python -m emulator push-image --failing`) - `FAILED`
    and rolled back as above (shown once with the `FAILED` deployment `ACTIVE` behind the rollback,
    then drained). Without a circuit breaker the failing deployment stays `IN_PROGRESS`.
    """
    from moto.ecs import models

    seen: dict[str, int] = {}
    original_init = models.Service.__init__
    original_update = models.EC2ContainerServiceBackend.update_service
    original_describe = models.EC2ContainerServiceBackend.describe_services

    def init_completed(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for deployment in self.deployments[:1]:
            deployment.update(
                runningCount=self.desired_count,
                pendingCount=0,
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
            )

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        requested = service_properties.get("task_definition")
        force = bool(service_properties.get("force_new_deployment"))
        service = self._get_service(service_properties.get("cluster", "default"), service_properties["service"])
        before = service.task_definition
        service_properties["force_new_deployment"] = False  # the deployment is made here
        updated = original_update(self, service_properties)
        if requested:
            updated.task_definition = self.describe_task_definition(requested).arn
        if updated.deployment_controller.get("type", "ECS") != "ECS" or not updated.deployments:
            return updated
        if updated.task_definition != before or force:
            for deployment in updated.deployments:
                deployment["status"] = "ACTIVE"
            updated.deployments.insert(0, ecs_new_deployment(updated, updated.task_definition, "IN_PROGRESS"))
        elif service_properties.get("desired_count") is not None:
            updated.deployments[0]["desiredCount"] = updated.desired_count
        return updated

    def describe_services(self: Any, cluster_str: str, service_names_or_arns: list[str]) -> Any:
        services, failures = original_describe(self, cluster_str, service_names_or_arns)
        for service in services:
            ecs_advance_rollout(self, service, seen)
        return services, failures

    models.Service.__init__ = init_completed
    models.EC2ContainerServiceBackend.update_service = update_service
    models.EC2ContainerServiceBackend.describe_services = describe_services
