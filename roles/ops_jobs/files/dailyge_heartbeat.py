#!/usr/bin/env python3
"""Publish the monitoring host's heartbeat to CloudWatch while its Watchdog alert fires.

    dailyge-heartbeat --environment prod --alertmanager-url http://127.0.0.1:9093 \\
        --state-file /run/lock/dailyge-heartbeat.last [--namespace Dailyge/Watchdog] [--check]

Installed by roles/ops_jobs as /usr/local/bin/dailyge-heartbeat and run by cron every minute. It asks
this host's Alertmanager (`GET /api/v2/alerts`, active, not silenced, not inhibited) for the
always-firing `Watchdog` alert of roles/prometheus. Only when it is there, which proves that Prometheus
evaluates its rules and Alertmanager receives them, it puts `<namespace>/Heartbeat = 1` (dimension
Environment) for the current minute. A dead host, Prometheus or Alertmanager stops the heartbeat,
and CloudWatch's alarm on it (missing data breaching, terraform/modules/watchdog) reaches Slack
through the alarm topic and the Slack notifier Lambda: nothing on this host has to be alive for that.

Once per minute: the minute last published is kept in --state-file (written atomically), so a second
run in the same minute publishes nothing. --check asks Alertmanager and says what it would publish,
writing nothing. Exit codes: 0 published (or already published this minute, or --check), 1 not
published (no Watchdog alert, Alertmanager or CloudWatch unreachable: one line says which), 2 bad
arguments (one line naming the option, before anything is asked). Python 3.9+ and boto3 (the job
runner's virtualenv); AWS settings come from the environment (region, AWS_ENDPOINT_URL in local).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
NAMESPACE = re.compile(r"^[A-Za-z0-9_./#:-]{1,255}$")
URL = re.compile(r"^https?://[^\s/]+(:\d+)?/?$")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 - runs on Python 3.9 ops hosts


def log(message: str) -> None:
    print(f"{utcnow().isoformat(timespec='seconds')} dailyge-heartbeat {message}", flush=True)


def watchdog_firing(alertmanager_url: str, alertname: str, timeout: float = 5.0) -> tuple[bool, str]:
    """(firing, what was found) from Alertmanager's API v2."""
    query = urllib.parse.urlencode(
        [("active", "true"), ("silenced", "false"), ("inhibited", "false"), ("filter", f'alertname="{alertname}"')]
    )
    url = f"{alertmanager_url.rstrip('/')}/api/v2/alerts?{query}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - this host's Alertmanager
            alerts = json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"Alertmanager {alertmanager_url} did not answer ({exc})"
    firing = [
        alert
        for alert in alerts
        if isinstance(alerts, list)
        if isinstance(alert, dict)
        and (alert.get("labels") or {}).get("alertname") == alertname
        and (alert.get("status") or {}).get("state") == "active"
    ]
    if not firing:
        return False, f"no active {alertname} alert in Alertmanager {alertmanager_url}: Prometheus is not sending it"
    return True, f"{alertname} fires in Alertmanager {alertmanager_url}"


def read_state(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def put_heartbeat(client: Any, namespace: str, environment: str, minute: datetime) -> None:
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Heartbeat",
                "Dimensions": [{"Name": "Environment", "Value": environment}],
                "Timestamp": minute,
                "Value": 1.0,
                "Unit": "Count",
            }
        ],
    )


def default_client() -> Any:
    import boto3

    return boto3.client("cloudwatch")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True, help="Environment dimension (dailyge_env)")
    parser.add_argument("--alertmanager-url", required=True, help="this host's Alertmanager, http://127.0.0.1:9093")
    parser.add_argument("--state-file", type=Path, required=True, help="where the minute last published is kept")
    parser.add_argument("--namespace", default="Dailyge/Watchdog", help="CloudWatch namespace of the Heartbeat")
    parser.add_argument("--alertname", default="Watchdog", help="the always-firing alert of Prometheus")
    parser.add_argument("--check", action="store_true", help="say what would be published, write nothing")
    args = parser.parse_args(argv)
    if not NAME.match(args.environment):
        parser.error(f"--environment {args.environment!r} must be lowercase letters, digits and - (dailyge_env)")
    if not URL.match(args.alertmanager_url):
        parser.error(f"--alertmanager-url {args.alertmanager_url!r} must be http(s)://host[:port]")
    if not NAMESPACE.match(args.namespace) or args.namespace.startswith("AWS/"):
        parser.error(f"--namespace {args.namespace!r} must be a custom CloudWatch namespace (not AWS/...)")
    return args


def main(argv: list[str] | None = None, client_factory: Callable[[], Any] = default_client) -> int:
    args = parse(argv)
    minute = utcnow().replace(second=0, microsecond=0)
    stamp = minute.isoformat()
    firing, found = watchdog_firing(args.alertmanager_url, args.alertname)
    if not firing:
        log(f"NOT published: {found}")
        return 1
    if read_state(args.state_file) == stamp:
        log(f"{found}; heartbeat of {stamp} already published")
        return 0
    target = f"{args.namespace}/Heartbeat{{Environment={args.environment}}}"
    if args.check:
        log(f"{found}; would publish {target} = 1 at {stamp} (check mode: nothing written)")
        return 0
    try:
        put_heartbeat(client_factory(), args.namespace, args.environment, minute)
    except Exception as exc:  # any SDK or connection failure: one line, exit 1, next minute tries again
        log(f"NOT published: CloudWatch refused or did not answer ({type(exc).__name__}: {exc})")
        return 1
    write_atomically(args.state_file, stamp + "\n")
    log(f"{found}; published {target} = 1 at {stamp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
