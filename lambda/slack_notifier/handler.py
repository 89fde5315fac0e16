"""AWS Lambda (Python 3.12): CloudWatch alarm notifications from the SNS alarm topic -> Slack.

Subscribed to the stack's alarm topic (`alarm_topic_arn`). Each SNS record's message is the JSON a
CloudWatch alarm publishes (AlarmName, NewStateValue, NewStateReason, Trigger, ...); it becomes one
Slack message: state, alarm, environment, reason, metric and a console link. A message that is not
an alarm (a plain text publish) is forwarded as it is. A failed Slack post raises, so Lambda's
asynchronous retries try again.

Configuration (environment): SLACK_WEBHOOK_URL, or SLACK_WEBHOOK_SECRET_ARN (a Secrets Manager
secret holding the URL, or JSON with a `url` field); DAILYGE_ENVIRONMENT (shown in the message).
Standard library plus boto3 (in the Lambda runtime) only.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

STATE_ICONS = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:", "INSUFFICIENT_DATA": ":grey_question:"}


def alarm_text(alarm: dict[str, Any], environment: str) -> str:
    """The Slack text of one CloudWatch alarm notification."""
    state = alarm.get("NewStateValue", "UNKNOWN")
    name = alarm.get("AlarmName", "unnamed alarm")
    lines = [f"{STATE_ICONS.get(state, ':bell:')} *{state}* {name} ({environment})"]
    if alarm.get("AlarmDescription"):
        lines.append(str(alarm["AlarmDescription"]))
    if alarm.get("NewStateReason"):
        lines.append(f"Reason: {alarm['NewStateReason']}")
    trigger = alarm.get("Trigger") or {}
    if trigger.get("MetricName"):
        dimensions = ", ".join(f"{item.get('name')}={item.get('value')}" for item in trigger.get("Dimensions") or [])
        lines.append(
            f"Metric: {trigger.get('Namespace', '')}/{trigger['MetricName']}"
            + (f" [{dimensions}]" if dimensions else "")
        )
    if alarm.get("OldStateValue"):
        lines.append(f"Was {alarm['OldStateValue']} · changed {alarm.get('StateChangeTime', '')}".rstrip())
    region = region_of(alarm)
    if region:
        link = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{urllib.parse.quote(name)}"
        lines.append(f"<{link}|Open the alarm>")
    return "\n".join(lines)


def region_of(alarm: dict[str, Any]) -> str:
    """The region code from the alarm's ARN (the `Region` field is a display name)."""
    arn = str(alarm.get("AlarmArn", ""))
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[0] == "arn" else ""


def message_text(record: dict[str, Any], environment: str) -> str:
    """Slack text of one SNS record: an alarm formatted, anything else as published."""
    sns = record.get("Sns") or {}
    raw = sns.get("Message", "")
    try:
        body = json.loads(raw)
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict) and "AlarmName" in body:
        return alarm_text(body, environment)
    subject = sns.get("Subject")
    return f":bell: {subject} ({environment})\n{raw}" if subject else f":bell: ({environment}) {raw}"


def webhook_url(env: dict[str, str], secrets_client: Any = None) -> str:
    """SLACK_WEBHOOK_URL, else the URL kept in the SLACK_WEBHOOK_SECRET_ARN secret."""
    if env.get("SLACK_WEBHOOK_URL"):
        return env["SLACK_WEBHOOK_URL"]
    secret_arn = env.get("SLACK_WEBHOOK_SECRET_ARN", "")
    if not secret_arn:
        raise RuntimeError("neither SLACK_WEBHOOK_URL nor SLACK_WEBHOOK_SECRET_ARN is set")
    if secrets_client is None:
        import boto3

        secrets_client = boto3.client("secretsmanager")
    value = secrets_client.get_secret_value(SecretId=secret_arn)["SecretString"]
    try:
        parsed = json.loads(value)
    except ValueError:
        return value.strip()
    return str(parsed.get("url", "")) if isinstance(parsed, dict) else value.strip()


def post(url: str, text: str, timeout: float = 10.0) -> None:
    """POST one message; RuntimeError (Lambda retries the event) when Slack does not answer 200."""
    request = urllib.request.Request(  # noqa: S310 - the configured Slack webhook (https)
        url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - the configured webhook
            if answer.status != 200:
                raise RuntimeError(f"Slack answered HTTP {answer.status}")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"Slack answered HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise RuntimeError(f"Slack did not answer: {exc.reason}") from exc


def handler(event: dict[str, Any], context: Any = None) -> dict[str, int]:
    """Lambda entry point: one Slack message per SNS record."""
    env = dict(os.environ)
    url = webhook_url(env)
    environment = env.get("DAILYGE_ENVIRONMENT", "unknown")
    records = [record for record in event.get("Records", []) if record.get("EventSource", "aws:sns") == "aws:sns"]
    for record in records:
        post(url, message_text(record, environment))
    return {"posted": len(records)}
