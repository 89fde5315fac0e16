"""A minimal stack of the resources the acceptance checks read, built through the AWS APIs.

The acceptance playbook must be testable before (and independently of) the Terraform stack: this
builds, in moto (in-process or the emulator), the ALB with its redirect and HTTPS listeners and host
rules, the WAF web ACL with the rate rule, the ECS service with its target-tracking policy, and the
RDS instance with today's daily snapshot, and returns the matching `stack` outputs. Each `break_*`
function then introduces one defect the acceptance must catch.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

Client = Callable[[str], Any]
HOSTS = {
    "api": "api.dailyge.example",
    "api_dev": "api-dev.dailyge.example",
    "api_docs": "api-docs.dailyge.example",
    "monitoring": "monitoring.dailyge.example",
    "www": "www.dailyge.example",
}
VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
RATE_RULE = "dailyge-rate-limit"
DB = "dailyge-qa-db"
CLUSTER, SERVICE = "dailyge-qa", "dailyge-api"
RESOURCE_ID = f"service/{CLUSTER}/{SERVICE}"


def network(client: Client) -> tuple[str, list[str]]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=f"ap-northeast-2{zone}")[
            "Subnet"
        ]["SubnetId"]
        for index, zone in enumerate("ac", start=1)
    ]
    return vpc, subnets


def load_balancer(client: Client, vpc: str, subnets: list[str], hostnames: dict[str, str]) -> dict[str, Any]:
    elb, acm = client("elbv2"), client("acm")
    alb = elb.create_load_balancer(Name="dailyge-qa", Subnets=subnets, Type="application")["LoadBalancers"][0]
    certificate = acm.request_certificate(DomainName="dailyge.example", SubjectAlternativeNames=["*.dailyge.example"])
    groups = {}
    for key, path in (("api", "/api/health-check"), ("monitoring", "/api/health")):
        groups[key] = elb.create_target_group(
            Name=f"dailyge-qa-{key}",
            Protocol="HTTP",
            Port=8080 if key == "api" else 3000,
            VpcId=vpc,
            HealthCheckPath=path,
            TargetType="instance",
        )["TargetGroups"][0]["TargetGroupArn"]
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    elb.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": redirect}],
    )
    https = elb.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": certificate["CertificateArn"]}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]
    for priority, key in enumerate(("api", "api_dev", "api_docs", "monitoring"), start=10):
        group = groups["monitoring" if key == "monitoring" else "api"]
        elb.create_rule(
            ListenerArn=https["ListenerArn"],
            Priority=priority,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [hostnames[key]]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": group}],
        )
    return {
        "alb_arn": alb["LoadBalancerArn"],
        "alb_dns_name": alb["DNSName"],
        "alb_https_listener_arn": https["ListenerArn"],
        "api_target_group_arn": groups["api"],
        "certificate_arn": certificate["CertificateArn"],
    }


def rate_rule(action: str = "Block", limit: int = 1000, window: int = 60) -> dict[str, Any]:
    return {
        "Name": RATE_RULE,
        "Priority": 1,
        "Action": {action: {}},
        "Statement": {"RateBasedStatement": {"Limit": limit, "EvaluationWindowSec": window, "AggregateKeyType": "IP"}},
        "VisibilityConfig": VISIBILITY,
    }


def web_acl(client: Client, alb_arn: str) -> dict[str, Any]:
    waf = client("wafv2")
    acl = waf.create_web_acl(
        Name="dailyge-qa",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig=VISIBILITY,
        Rules=[rate_rule()],
    )["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=alb_arn)
    return {
        "waf_web_acl_arn": acl["ARN"],
        "waf_web_acl_name": acl["Name"],
        "waf_web_acl_id": acl["Id"],
        "waf_rate_rule_name": RATE_RULE,
        "waf_rate_limit": 1000,
        "waf_rate_limit_window_sec": 60,
        "waf_rate_limit_action": "block",
    }


def put_policy(client: Client, target: float = 75.0, cooldown: int = 60, resource_id: str = RESOURCE_ID) -> None:
    """The target-tracking policy as playbooks/autoscaling.yml sets it up."""
    client("application-autoscaling").put_scaling_policy(
        PolicyName=f"{resource_id.rsplit('/', 1)[-1]}-cpu-target-tracking",
        ServiceNamespace="ecs",
        ResourceId=resource_id,
        ScalableDimension="ecs:service:DesiredCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": cooldown,
            "ScaleOutCooldown": cooldown,
        },
    )


def ecs_service(client: Client) -> dict[str, Any]:
    ecs = client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(
        family="dailyge-api",
        networkMode="bridge",
        containerDefinitions=[{"name": "api", "image": "dailyge/api:1", "memory": 512, "portMappings": [
            {"containerPort": 8080, "hostPort": 0}]}],
    )  # fmt: skip
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition="dailyge-api", desiredCount=1)
    client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=RESOURCE_ID,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
    )
    put_policy(client)
    return {
        "ecs_cluster_name": CLUSTER,
        "ecs_service_name": SERVICE,
        "ecs_service_min_capacity": 1,
        "ecs_service_max_capacity": 4,
    }


def daily_snapshot_name(day: datetime.date | None = None) -> str:
    day = day or datetime.datetime.now(datetime.UTC).date()
    return f"{DB}-daily-{day:%Y%m%d}"


def database(client: Client) -> dict[str, Any]:
    rds = client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier=DB,
        Engine="mysql",
        EngineVersion="8.0.40",
        DBInstanceClass="db.t3.micro",
        MasterUsername="dailyge",
        MasterUserPassword="not-a-secret-1",  # a throwaway emulator instance
        AllocatedStorage=20,
    )
    rds.create_db_snapshot(DBInstanceIdentifier=DB, DBSnapshotIdentifier=daily_snapshot_name())
    rds.create_db_snapshot(DBInstanceIdentifier=DB, DBSnapshotIdentifier=f"{DB}-before-upgrade")
    return {"rds_instance_identifier": DB}


def build(client: Client, hostnames: dict[str, str] = HOSTS) -> dict[str, Any]:
    """Create every resource the acceptance checks read; return the `stack` outputs for them."""
    vpc, subnets = network(client)
    stack: dict[str, Any] = {
        "environment": "local",
        "aws_region": "ap-northeast-2",
        "vpc_id": vpc,
        "hostnames": dict(hostnames),
        "domain_name": "dailyge.example",
        "monitoring_private_ip": "127.0.0.1",
    }
    stack |= load_balancer(client, vpc, subnets, hostnames)
    stack |= web_acl(client, stack["alb_arn"])
    stack |= ecs_service(client)
    stack |= database(client)
    return stack


# Defects, one each.


def break_waf_action(client: Client, stack: dict[str, Any]) -> None:
    """Load-test mode left on: the rate rule only counts."""
    waf = client("wafv2")
    acl = waf.get_web_acl(Name=stack["waf_web_acl_name"], Scope="REGIONAL", Id=stack["waf_web_acl_id"])
    waf.update_web_acl(
        Name=stack["waf_web_acl_name"],
        Scope="REGIONAL",
        Id=stack["waf_web_acl_id"],
        DefaultAction={"Allow": {}},
        VisibilityConfig=VISIBILITY,
        Rules=[rate_rule(action="Count")],
        LockToken=acl["LockToken"],
    )


def break_autoscaling_target(client: Client, stack: dict[str, Any]) -> None:
    """The reference's defect: target 50 % instead of 75 %."""
    put_policy(client, target=50.0)


def break_snapshot(client: Client, stack: dict[str, Any]) -> None:
    """The backup job never ran: no daily snapshot."""
    client("rds").delete_db_snapshot(DBSnapshotIdentifier=daily_snapshot_name())


def break_redirect(client: Client, stack: dict[str, Any]) -> None:
    """Port 80 serves the application instead of redirecting."""
    elb = client("elbv2")
    http = next(
        item for item in elb.describe_listeners(LoadBalancerArn=stack["alb_arn"])["Listeners"] if item["Port"] == 80
    )
    elb.modify_listener(
        ListenerArn=http["ListenerArn"],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": stack["api_target_group_arn"]}],
    )


def break_host_rule(client: Client, stack: dict[str, Any]) -> None:
    """The api-docs host rule is gone."""
    elb = client("elbv2")
    rules = elb.describe_rules(ListenerArn=stack["alb_https_listener_arn"])["Rules"]
    docs = next(rule for rule in rules if stack["hostnames"]["api_docs"] in str(rule.get("Conditions")))
    elb.delete_rule(RuleArn=docs["RuleArn"])
