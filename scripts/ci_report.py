#!/usr/bin/env python3
"""Report a GitHub Actions run to Slack: what ran, on which commit, how long it took, the result.

Used by the last step of every workflow in .github/workflows (standard library only, so it runs on
the runner's system Python before or without the project's virtualenv). Everything comes from the
environment, set by the workflow from its contexts (never interpolated into a shell script):

    SLACK_WEBHOOK_URL  incoming webhook; empty: the report is printed and skipped with a warning
    CI_TITLE           what ran ("deploy", "pull request #12", "ops loadtest-on")
    CI_ENVIRONMENT     the environment it ran against (dev, prod, ...)
    CI_RESULT          the job's status (success, failure, cancelled), or
    CI_JOBS            toJSON(needs): the result of every job this report job waited for
    CI_COMMIT          the commit SHA
    CI_STARTED         epoch seconds when the run started (for the duration)
    CI_RUN_URL         link to the run
    GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_ACTOR, GITHUB_STEP_SUMMARY  (set by the runner)

A Slack outage never changes the run's result: the failure is printed as a warning annotation and
the script exits 0. It exits 2 only when it is called without anything to report (no result).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

ICONS = {"success": ":white_check_mark:", "failure": ":x:", "cancelled": ":no_entry_sign:", "skipped": ":fast_forward:"}
VERBS = {"success": "succeeded", "failure": "FAILED", "cancelled": "was cancelled", "skipped": "was skipped"}
TIMEOUT_S = 10.0


def overall_result(jobs: Mapping[str, Mapping[str, Any]]) -> str:
    """One result for several jobs: any failure fails the run, then any cancellation; else success."""
    results = {str(job.get("result", "failure")) for job in jobs.values()}
    for worst in ("failure", "cancelled"):
        if worst in results:
            return worst
    return "success" if "success" in results else "skipped"


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(max(int(seconds), 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def duration_since(started: str, now: float) -> str:
    """The duration since `started` (epoch seconds as text), or "unknown" when it is missing or garbled."""
    try:
        return format_duration(now - float(started))
    except ValueError:
        return "unknown"


def build_message(env: Mapping[str, str], now: float) -> dict[str, Any]:
    """The Slack payload for the run described by `env` (see the module docstring)."""
    jobs: dict[str, dict[str, Any]] = json.loads(env["CI_JOBS"]) if env.get("CI_JOBS") else {}
    result = env.get("CI_RESULT") or (overall_result(jobs) if jobs else "")
    if not result:
        raise ValueError("nothing to report: set CI_RESULT or CI_JOBS")
    title = env.get("CI_TITLE", "workflow")
    environment = env.get("CI_ENVIRONMENT", "")
    commit = env.get("CI_COMMIT", "")
    repository = env.get("GITHUB_REPOSITORY", "")
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    duration = duration_since(env.get("CI_STARTED", ""), now)

    headline = f"{ICONS.get(result, ':grey_question:')} Dailyge {title}"
    headline += f" on {environment}" if environment else ""
    headline += f" {VERBS.get(result, result)}"
    commit_text = f"<{server}/{repository}/commit/{commit}|{commit[:7]}>" if repository and commit else commit[:7]
    actor = env.get("GITHUB_ACTOR", "unknown")
    lines = [headline, f"commit {commit_text or 'unknown'} by {actor}, duration {duration}"]
    lines += [f"• {name}: {job.get('result', 'unknown')}" for name, job in jobs.items()]
    if env.get("CI_RUN_URL"):
        lines.append(f"<{env['CI_RUN_URL']}|run log>")
    return {"text": "\n".join(lines)}


def post(url: str, payload: dict[str, Any]) -> str:
    """POST the payload as Slack's incoming webhooks expect; return Slack's answer."""
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("SLACK_WEBHOOK_URL must be an https:// URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310 - scheme checked above
        return answer.read().decode(errors="replace")


def main(env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    try:
        payload = build_message(env, time.time())
    except (ValueError, KeyError) as exc:
        print(f"::error::ci_report: {exc}")
        return 2
    print(payload["text"])
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:  # noqa: PTH123 - one append
            summary.write("\n" + payload["text"] + "\n")
    url = env.get("SLACK_WEBHOOK_URL", "")
    if not url:
        print("::warning::SLACK_WEBHOOK_URL is empty: the report was not sent to Slack")
        return 0
    try:
        post(url, payload)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"::warning::the Slack report could not be sent ({exc}); the run's result is unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
