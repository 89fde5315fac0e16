"""Each compatibility patch of the emulator, shown with boto3 against the real emulator process.

Every test asserts the AWS behaviour the patch restores (see the patch's docstring in
emulator/patches.py); without the patch, moto answers differently and the test fails.
"""

from __future__ import annotations

import io
import json
import socket
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator import launcher, patches

REGION = "ap-northeast-2"
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[launcher.Settings]:
    """A fresh emulator (its own ports and state folder) for this module, stopped at the end."""
    settings = launcher.Settings(free_port(), free_port(), Path(tmp_path_factory.mktemp("emulator-state")))
    launcher.start(settings)
    yield settings
    launcher.stop(settings)


def client(settings: launcher.Settings, service: str, region: str = REGION) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=settings.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def vpc_with_subnet(ec2: Any) -> tuple[str, str]:
    vpc_id = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.99.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"][
        "SubnetId"
    ]
    return vpc_id, subnet_id


def test_health_lists_every_patch(aws: launcher.Settings) -> None:
    answer = launcher.health(aws)
    assert answer is not None
    assert answer["patches"] == [func.__name__ for func in patches.PATCHES]


def ecs_cluster_with_bridge_task(ecs: Any) -> tuple[str, str]:
    cluster = unique("cluster")
    ecs.create_cluster(clusterName=cluster)
    task_definition = ecs.register_task_definition(
        family=unique("api"),
        networkMode="bridge",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[
            {"name": "api", "image": "api:1", "memory": 512, "portMappings": [{"containerPort": 8080, "hostPort": 0}]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    return cluster, task_definition


def test_ecs_bridge_service_has_no_network_configuration(aws: launcher.Settings) -> None:
    ecs = client(aws, "ecs")
    cluster, task_definition = ecs_cluster_with_bridge_task(ecs)
    ecs.create_service(cluster=cluster, serviceName="api", taskDefinition=task_definition, desiredCount=1)

    service = ecs.describe_services(cluster=cluster, services=["api"])["services"][0]

    assert "networkConfiguration" not in service


def test_ecs_service_keeps_its_create_settings(aws: launcher.Settings) -> None:
    ecs = client(aws, "ecs")
    cluster, task_definition = ecs_cluster_with_bridge_task(ecs)
    strategy = [{"capacityProvider": "hosts", "weight": 1, "base": 0}]
    placement = [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}]
    deployment = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    ecs.create_service(
        cluster=cluster,
        serviceName="api",
        taskDefinition=task_definition,
        desiredCount=1,
        capacityProviderStrategy=strategy,
        placementStrategy=placement,
        healthCheckGracePeriodSeconds=120,
        enableECSManagedTags=True,
        deploymentConfiguration=deployment,
    )

    service = ecs.describe_services(cluster=cluster, services=["api"])["services"][0]

    assert service["capacityProviderStrategy"] == strategy
    assert "launchType" not in service
    assert service["placementStrategy"] == placement
    assert service["healthCheckGracePeriodSeconds"] == 120
    assert service["enableECSManagedTags"] is True
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["availabilityZoneRebalancing"] == "DISABLED"


def test_rds_parameters_set_by_the_user_have_source_user(aws: launcher.Settings) -> None:
    rds = client(aws, "rds")
    group = unique("mysql80")
    rds.create_db_parameter_group(DBParameterGroupName=group, DBParameterGroupFamily="mysql8.0", Description="test")
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[
            {"ParameterName": "time_zone", "ParameterValue": "Asia/Seoul", "ApplyMethod": "immediate"},
            {"ParameterName": "character_set_server", "ParameterValue": "utf8mb4", "ApplyMethod": "immediate"},
        ],
    )

    by_user = rds.describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"]
    by_engine = rds.describe_db_parameters(DBParameterGroupName=group, Source="engine-default")["Parameters"]

    assert {(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in by_user} == {
        ("time_zone", "Asia/Seoul", "user"),
        ("character_set_server", "utf8mb4", "user"),
    }
    assert all(p["ParameterName"] not in {"time_zone", "character_set_server"} for p in by_engine)


def test_rds_instance_keeps_enhanced_monitoring(aws: launcher.Settings) -> None:
    rds = client(aws, "rds")
    identifier = unique("db")
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/rds-monitoring"
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.micro",
        Engine="mysql",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        ManageMasterUserPassword=True,
        MonitoringInterval=60,
        MonitoringRoleArn=role_arn,
    )

    instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]

    assert instance["MonitoringInterval"] == 60
    assert instance["MonitoringRoleArn"] == role_arn


def test_cloudfront_origin_keeps_its_origin_access_control(aws: launcher.Settings) -> None:
    cloudfront = client(aws, "cloudfront", region="us-east-1")
    control_id = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": unique("oac"),
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    origin = {
        "Id": "web",
        "DomainName": "web.s3.ap-northeast-2.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": control_id,
    }
    distribution_id = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": unique("ref"),
            "Comment": "test",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {"TargetOriginId": "web", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )["Distribution"]["Id"]

    config = cloudfront.get_distribution(Id=distribution_id)["Distribution"]["DistributionConfig"]

    assert config["Origins"]["Items"][0]["OriginAccessControlId"] == control_id


def test_security_group_rule_referencing_a_group_keeps_its_description(aws: launcher.Settings) -> None:
    ec2 = client(aws, "ec2")
    vpc_id, _ = vpc_with_subnet(ec2)
    alb = ec2.create_security_group(GroupName=unique("alb"), Description="alb", VpcId=vpc_id)["GroupId"]
    hosts = ec2.create_security_group(GroupName=unique("hosts"), Description="hosts", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=hosts,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 32768,
                "ToPort": 65535,
                "UserIdGroupPairs": [{"GroupId": alb, "Description": "Dynamic task ports from the ALB"}],
            }
        ],
    )

    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [hosts]}])["SecurityGroupRules"]
    ingress = [rule for rule in rules if not rule["IsEgress"]]

    assert [(rule["ReferencedGroupInfo"]["GroupId"], rule["Description"]) for rule in ingress] == [
        (alb, "Dynamic task ports from the ALB")
    ]


def test_monitor_instances_switches_detailed_monitoring(aws: launcher.Settings) -> None:
    ec2 = client(aws, "ec2")
    _, subnet_id = vpc_with_subnet(ec2)
    instance_id = ec2.run_instances(ImageId="ami-087e08db3e40f7429", MinCount=1, MaxCount=1, SubnetId=subnet_id)[
        "Instances"
    ][0]["InstanceId"]

    answer = ec2.monitor_instances(InstanceIds=[instance_id])["InstanceMonitorings"]
    state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["Monitoring"]["State"]
    off = ec2.unmonitor_instances(InstanceIds=[instance_id])["InstanceMonitorings"]
    state_off = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["Monitoring"][
        "State"
    ]

    assert answer == [{"InstanceId": instance_id, "Monitoring": {"State": "pending"}}]
    assert state == "enabled"
    assert off == [{"InstanceId": instance_id, "Monitoring": {"State": "disabling"}}]
    assert state_off == "disabled"


def test_flow_log_to_a_prefix_of_a_bucket(aws: launcher.Settings) -> None:
    ec2 = client(aws, "ec2")
    s3 = client(aws, "s3")
    bucket = unique("archive")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    vpc_id, _ = vpc_with_subnet(ec2)
    destination = f"arn:aws:s3:::{bucket}/vpc-flow-logs/"

    answer = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogDestinationType="s3",
        LogDestination=destination,
    )
    flow_logs = ec2.describe_flow_logs(FlowLogIds=answer["FlowLogIds"])["FlowLogs"]

    assert answer["Unsuccessful"] == []
    assert [flow_log["LogDestination"] for flow_log in flow_logs] == [destination]


def test_flow_log_to_a_missing_bucket_still_fails(aws: launcher.Settings) -> None:
    ec2 = client(aws, "ec2")
    vpc_id, _ = vpc_with_subnet(ec2)

    answer = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{unique('missing')}/vpc-flow-logs/",
    )

    assert answer["FlowLogIds"] == []
    assert len(answer["Unsuccessful"]) == 1


def test_launch_template_tags_stay_on_the_template(aws: launcher.Settings) -> None:
    ec2 = client(aws, "ec2")
    name = unique("hosts")
    instance_tags = {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "ecs-host"}]}
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": "ami-00da44fa6c44151a5", "TagSpecifications": [instance_tags]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Project", "Value": "dailyge"}]}],
    )

    template = ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"][0]
    data = ec2.describe_launch_template_versions(LaunchTemplateName=name)["LaunchTemplateVersions"][0][
        "LaunchTemplateData"
    ]

    assert template["Tags"] == [{"Key": "Project", "Value": "dailyge"}]
    assert data["TagSpecifications"] == [instance_tags]


def test_launch_template_without_instance_tags_has_no_tag_specifications(aws: launcher.Settings) -> None:
    ec2 = client(aws, "ec2")
    name = unique("plain")
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": "ami-00da44fa6c44151a5"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Project", "Value": "dailyge"}]}],
    )

    data = ec2.describe_launch_template_versions(LaunchTemplateName=name)["LaunchTemplateVersions"][0][
        "LaunchTemplateData"
    ]

    assert "TagSpecifications" not in data


def test_a_bucket_policy_statement_applies_only_when_its_condition_holds(aws: launcher.Settings) -> None:
    s3 = client(aws, "s3")
    bucket = unique("archive")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    deny_insecure = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    deny_always = {
        "Sid": "DenyDeletes",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    deny_locked = {
        "Sid": "DenyLockedOverTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/locked/*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    statements = [deny_insecure, deny_always, deny_locked]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    s3.put_object(Bucket=bucket, Key="cloudwatch-logs/x/_archived.json", Body=b"{}")  # as over TLS: allowed
    assert s3.get_object(Bucket=bucket, Key="cloudwatch-logs/x/_archived.json")["Body"].read() == b"{}"
    with pytest.raises(s3.exceptions.ClientError, match=r"403|AccessDenied"):
        s3.delete_object(Bucket=bucket, Key="cloudwatch-logs/x/_archived.json")  # an unconditional Deny still denies
    with pytest.raises(s3.exceptions.ClientError, match=r"403|AccessDenied"):
        s3.put_object(Bucket=bucket, Key="locked/x", Body=b"x")  # a condition that holds applies the Deny


def test_lambda_function_keeps_its_kms_key(aws: launcher.Settings) -> None:
    iam, awslambda = client(aws, "iam"), client(aws, "lambda")
    role = iam.create_role(
        RoleName=unique("fn"),
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    first_key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/11111111-1111-1111-1111-111111111111"
    second_key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/22222222-2222-2222-2222-222222222222"
    name = unique("fn")

    created = awslambda.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": package.getvalue()},
        Environment={"Variables": {"A": "1"}},
        KMSKeyArn=first_key,
    )
    assert created["KMSKeyArn"] == first_key
    assert awslambda.get_function_configuration(FunctionName=name)["KMSKeyArn"] == first_key
    assert awslambda.get_function(FunctionName=name)["Configuration"]["KMSKeyArn"] == first_key

    awslambda.update_function_configuration(FunctionName=name, KMSKeyArn=second_key)
    assert awslambda.get_function_configuration(FunctionName=name)["KMSKeyArn"] == second_key
