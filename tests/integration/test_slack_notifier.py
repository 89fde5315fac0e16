"""The alarm notifier Lambda on the converged local stack: deployed by Terraform from the zip the
project built, subscribed to the alarm topic, its webhook URL in its own secret; and its packaged
handler, run against the emulator's secret, posts an alarm to the local Slack receiver.

The emulator stores Lambda functions but cannot run them (no container runtime here), so the last test
runs the handler from the built zip in a Python process with the function's own environment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from support import REPO_ROOT, LocalStack

EVENT = REPO_ROOT / "lambda" / "slack_notifier" / "events" / "alarm_ecs_cpu_high.json"


def built_package(local_stack: LocalStack) -> Path:
    return local_stack.emulator.settings.state_dir / "terraform" / "local" / "lambda" / "slack_notifier.zip"


def deployed_function(local_stack: LocalStack) -> dict[str, Any]:
    name = local_stack.stack()["slack_notifier_function_name"]
    return local_stack.emulator.client("lambda").get_function(FunctionName=name)["Configuration"]


def test_the_function_runs_the_zip_the_deployment_built(local_stack: LocalStack) -> None:
    function = deployed_function(local_stack)
    package = built_package(local_stack).read_bytes()

    assert function["Runtime"] == "python3.12" and function["Handler"] == "handler.handler"
    assert function["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert function["KMSKeyArn"].startswith("arn:aws:kms:")
    with zipfile.ZipFile(built_package(local_stack)) as archive:
        assert archive.namelist() == ["handler.py"]


def test_the_alarm_topic_invokes_the_function(local_stack: LocalStack) -> None:
    stack = local_stack.stack()
    function = deployed_function(local_stack)
    sns = local_stack.emulator.client("sns")

    subscriptions = sns.list_subscriptions_by_topic(TopicArn=stack["alarm_topic_arn"])["Subscriptions"]

    assert {(item["Protocol"], item["Endpoint"]) for item in subscriptions} == {("lambda", function["FunctionArn"])}
    awslambda = local_stack.emulator.client("lambda")
    policy = json.loads(awslambda.get_policy(FunctionName=function["FunctionName"])["Policy"])
    assert [statement["Principal"] for statement in policy["Statement"]] == [{"Service": "sns.amazonaws.com"}]


def test_the_webhook_url_is_in_the_secret_and_nowhere_in_the_function(local_stack: LocalStack) -> None:
    stack = local_stack.stack()
    function = deployed_function(local_stack)
    secrets = local_stack.emulator.client("secretsmanager")

    stored = json.loads(secrets.get_secret_value(SecretId=stack["slack_webhook_secret_name"])["SecretString"])

    port = local_stack.emulator.settings.slack_port
    assert stored == {"url": f"http://127.0.0.1:{port}/services/LOCAL/DAILYGE/local"}
    variables = function["Environment"]["Variables"]
    assert variables["SLACK_WEBHOOK_SECRET_ARN"].split(":")[-1].startswith(stack["slack_webhook_secret_name"])
    assert stored["url"] not in json.dumps(variables)


def test_the_packaged_handler_posts_an_alarm_to_slack(local_stack: LocalStack, tmp_path: Path) -> None:
    function = deployed_function(local_stack)
    with zipfile.ZipFile(built_package(local_stack)) as archive:
        archive.extractall(tmp_path / "task")
    runner = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import handler; "
        "print(json.dumps(handler.handler(json.load(open(sys.argv[2])))))"
    )
    environment = {
        "PATH": os.environ["PATH"],
        "AWS_ENDPOINT_URL": local_stack.emulator.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "ap-northeast-2",
    } | function["Environment"]["Variables"]
    before = len(local_stack.emulator.slack_messages())

    run = subprocess.run(
        [sys.executable, "-c", runner, str(tmp_path / "task"), str(EVENT)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"posted": 1}
    new = [message["payload"]["text"] for message in local_stack.emulator.slack_messages()[before:]]
    alarm = json.loads(json.loads(EVENT.read_text())["Records"][0]["Sns"]["Message"])
    assert len(new) == 1 and alarm["AlarmName"] in new[0] and "(local)" in new[0]
