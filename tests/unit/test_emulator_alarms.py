"""emulator.alarms against a real emulator process: alarms evaluated as CloudWatch does, their state
changes published to SNS, and a topic's Lambda subscription running the function's zip.

Without the module moto never leaves an alarm's initial state, and an SNS publish to a Lambda
subscription runs nothing: every assertion on a state change or a Slack message below fails.
"""

from __future__ import annotations

import io
import json
import socket
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator import launcher, slack_receiver

REGION = "ap-northeast-2"
REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[launcher.Settings]:
    settings = launcher.Settings(free_port(), free_port(), Path(tmp_path_factory.mktemp("emulator-alarms")))
    launcher.start(settings)
    yield settings
    launcher.stop(settings)


def client(settings: launcher.Settings, service: str) -> Any:
    return boto3.client(
        service, region_name=REGION, endpoint_url=settings.endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )


def topic_with_queue(settings: launcher.Settings) -> tuple[str, str]:
    """A topic and an SQS queue subscribed to it (raw), to read what the alarm published."""
    sns, sqs = client(settings, "sns"), client(settings, "sqs")
    name = f"t-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return topic, queue


def published(settings: launcher.Settings, queue: str) -> list[dict[str, Any]]:
    answer = client(settings, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def heartbeat_alarm(settings: launcher.Settings, topic: str, treat: str = "breaching") -> str:
    name = f"hb-{uuid.uuid4().hex[:8]}"
    client(settings, "cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="Dailyge/Watchdog",
        MetricName="Heartbeat",
        Dimensions=[{"Name": "Environment", "Value": name}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=3,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
        TreatMissingData=treat,
        AlarmActions=[topic],
        OKActions=[topic],
    )
    return name


def beat(settings: launcher.Settings, name: str, at: datetime) -> None:
    client(settings, "cloudwatch").put_metric_data(
        Namespace="Dailyge/Watchdog",
        MetricData=[
            {
                "MetricName": "Heartbeat",
                "Dimensions": [{"Name": "Environment", "Value": name}],
                "Timestamp": at,
                "Value": 1,
            }
        ],
    )


def state(settings: launcher.Settings, name: str) -> dict[str, Any]:
    return client(settings, "cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def mine(changes: list[dict[str, Any]], name: str) -> list[tuple[str, str]]:
    return [(change["old"], change["new"]) for change in changes if change["alarm"] == name]


def test_a_new_alarm_is_insufficient_data_and_an_update_keeps_the_state(aws: launcher.Settings) -> None:
    topic, _ = topic_with_queue(aws)
    name = heartbeat_alarm(aws, topic)
    assert state(aws, name)["StateValue"] == "INSUFFICIENT_DATA"  # moto alone says OK
    launcher.evaluate_alarms(aws, NOW.isoformat())
    assert state(aws, name)["StateValue"] == "ALARM"

    heartbeat_alarm_update = client(aws, "cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    client(aws, "cloudwatch").put_metric_alarm(
        **{key: heartbeat_alarm_update[key] for key in ("AlarmName", "Namespace", "MetricName", "Dimensions")},
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=5,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
        TreatMissingData="breaching",
    )
    assert state(aws, name)["StateValue"] == "ALARM"  # moto alone resets it


def test_a_heartbeat_keeps_the_alarm_ok_and_its_absence_fires_it(aws: launcher.Settings) -> None:
    topic, queue = topic_with_queue(aws)
    name = heartbeat_alarm(aws, topic)
    for minute in range(1, 4):
        beat(aws, name, NOW - timedelta(minutes=minute))

    first = launcher.evaluate_alarms(aws, NOW.isoformat())["changes"]
    again = launcher.evaluate_alarms(aws, NOW.isoformat())["changes"]

    assert mine(first, name) == [("INSUFFICIENT_DATA", "OK")] and mine(again, name) == []
    assert [message["NewStateValue"] for message in published(aws, queue)] == ["OK"]  # one message, no repeat

    # The heartbeat stops: ten minutes later the last three periods hold no data (breaching).
    later = launcher.evaluate_alarms(aws, (NOW + timedelta(minutes=10)).isoformat())["changes"]

    assert mine(later, name) == [("OK", "ALARM")]
    alarm = state(aws, name)
    assert alarm["StateValue"] == "ALARM" and "3 missing datapoints treated as breaching" in alarm["StateReason"]
    [message] = published(aws, queue)
    assert message["AlarmName"] == name and message["NewStateValue"] == "ALARM" and message["OldStateValue"] == "OK"
    assert message["Trigger"]["TreatMissingData"] == "breaching" and message["Trigger"]["Period"] == 60
    assert message["AlarmArn"].endswith(f":alarm:{name}") and message["Region"] == "Asia Pacific (Seoul)"


def test_one_missing_period_of_three_is_enough_only_when_missing_data_is_breaching(aws: launcher.Settings) -> None:
    topic, _ = topic_with_queue(aws)
    breaching, ignoring = heartbeat_alarm(aws, topic), heartbeat_alarm(aws, topic, treat="notBreaching")
    for name in (breaching, ignoring):
        beat(aws, name, NOW - timedelta(minutes=2))  # periods: [-1m, now) empty, [-2m, -1m) 1, [-3m, -2m) empty

    changes = launcher.evaluate_alarms(aws, NOW.isoformat())["changes"]

    # Three datapoints must breach (DatapointsToAlarm defaults to EvaluationPeriods): 2 missing + 1 present = 2.
    assert mine(changes, breaching) == [("INSUFFICIENT_DATA", "OK")]
    assert mine(changes, ignoring) == [("INSUFFICIENT_DATA", "OK")]
    still = launcher.evaluate_alarms(aws, (NOW + timedelta(minutes=1)).isoformat())["changes"]
    assert mine(still, breaching) == []  # the datapoint is still in the oldest of the three periods
    later = launcher.evaluate_alarms(aws, (NOW + timedelta(minutes=2)).isoformat())["changes"]
    assert mine(later, breaching) == [("OK", "ALARM")] and mine(later, ignoring) == []


def test_missing_data_treated_as_missing_is_insufficient_data(aws: launcher.Settings) -> None:
    topic, queue = topic_with_queue(aws)
    name = heartbeat_alarm(aws, topic, treat="missing")
    beat(aws, name, NOW - timedelta(minutes=1))
    launcher.evaluate_alarms(aws, NOW.isoformat())
    assert state(aws, name)["StateValue"] == "OK"

    launcher.evaluate_alarms(aws, (NOW + timedelta(hours=1)).isoformat())

    assert state(aws, name)["StateValue"] == "INSUFFICIENT_DATA"
    assert [message["NewStateValue"] for message in published(aws, queue)] == ["OK"]  # no InsufficientDataActions


def test_a_daily_job_alarm_fires_when_a_day_is_missed(aws: launcher.Settings) -> None:
    topic, _ = topic_with_queue(aws)
    name = f"job-{uuid.uuid4().hex[:8]}"
    dimensions = [{"Name": "Environment", "Value": "unit"}, {"Name": "Job", "Value": name}]
    cloudwatch = client(aws, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="Dailyge/Jobs", MetricName="JobSucceeded", Dimensions=dimensions,
        Statistic="Maximum", Period=86400, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="LessThanThreshold", TreatMissingData="breaching", AlarmActions=[topic], OKActions=[topic],
    )  # fmt: skip
    cloudwatch.put_metric_data(
        Namespace="Dailyge/Jobs",
        MetricData=[
            {"MetricName": "JobSucceeded", "Dimensions": dimensions, "Timestamp": NOW - timedelta(hours=3), "Value": 1}
        ],
    )

    assert mine(launcher.evaluate_alarms(aws, NOW.isoformat())["changes"], name) == [("INSUFFICIENT_DATA", "OK")]
    next_day = launcher.evaluate_alarms(aws, (NOW + timedelta(hours=22)).isoformat())["changes"]
    assert mine(next_day, name) == [("OK", "ALARM")]


def test_a_bad_time_is_refused_in_one_line_and_changes_nothing(aws: launcher.Settings) -> None:
    topic, _ = topic_with_queue(aws)
    name = heartbeat_alarm(aws, topic)

    with pytest.raises(launcher.EmulatorError, match=r"now='yesterday' is neither ISO 8601"):
        launcher.evaluate_alarms(aws, "yesterday")

    assert state(aws, name)["StateValue"] == "INSUFFICIENT_DATA"


def test_the_alarm_topic_runs_the_slack_notifier_zip(aws: launcher.Settings) -> None:
    iam, awslambda, sns = client(aws, "iam"), client(aws, "lambda"), client(aws, "sns")
    role = iam.create_role(
        RoleName=f"fn-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(REPO_ROOT / "lambda" / "slack_notifier" / "handler.py", "handler.py")
    url = f"http://127.0.0.1:{aws.slack_port}/services/UNIT/ALARMS/test"
    function = awslambda.create_function(
        FunctionName=f"notifier-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": package.getvalue()},
        Environment={"Variables": {"SLACK_WEBHOOK_URL": url, "DAILYGE_ENVIRONMENT": "unit"}},
    )  # fmt: skip
    topic, _ = topic_with_queue(aws)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function["FunctionArn"])
    name = heartbeat_alarm(aws, topic)
    before = len(slack_receiver.last_messages(aws.slack_log, 1000))

    launcher.evaluate_alarms(aws, NOW.isoformat())

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(slack_receiver.last_messages(aws.slack_log, 1000)) == before:
        time.sleep(0.2)
    new = slack_receiver.last_messages(aws.slack_log, 1000)[before:]
    assert len(new) == 1 and new[0]["path"] == "/services/UNIT/ALARMS/test"
    text = new[0]["payload"]["text"]
    assert f"*ALARM* {name} (unit)" in text and "Dailyge/Watchdog/Heartbeat" in text
    invocations = (aws.state_dir / "emulator" / "lambda-invocations.jsonl").read_text().splitlines()
    last = json.loads(invocations[-1])
    assert last["function"] == function["FunctionName"] and last["returncode"] == 0
    assert json.loads(last["stdout"]) == {"posted": 1}


def status_check_alarm(settings: launcher.Settings, topic: str, instance_id: str) -> str:
    name = f"sc-{uuid.uuid4().hex[:8]}"
    client(settings, "cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/EC2",
        MetricName="StatusCheckFailed",
        Dimensions=[{"Name": "InstanceId", "Value": instance_id}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=2,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="breaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    return name


def test_a_running_instance_passes_its_status_checks_and_a_stopped_one_fires_the_alarm(aws: launcher.Settings) -> None:
    """EC2 publishes StatusCheckFailed=0 every minute an instance runs, nothing once it stopped."""
    ec2 = client(aws, "ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    topic, queue = topic_with_queue(aws)
    name = status_check_alarm(aws, topic, instance)
    later = datetime.now(UTC) + timedelta(minutes=5)

    launcher.evaluate_alarms(aws, later.isoformat())
    assert state(aws, name)["StateValue"] == "OK", state(aws, name)["StateReason"]

    ec2.stop_instances(InstanceIds=[instance])
    launcher.evaluate_alarms(aws, later.isoformat())
    assert state(aws, name)["StateValue"] == "ALARM"
    assert [message["NewStateValue"] for message in published(aws, queue)] == ["OK", "ALARM"]

    missing = status_check_alarm(aws, topic, "i-0123456789abcdef0")
    launcher.evaluate_alarms(aws, later.isoformat())
    assert state(aws, missing)["StateValue"] == "ALARM", "an unknown instance publishes nothing"
