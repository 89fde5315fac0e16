# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the acceptance playbook (playbooks/ops/acceptance.yml).

prometheus_job_checks(answer, jobs, app_jobs=[], app_running=True, skip_reason="")
    One check result per expected Prometheus job, from the JSON answer of /api/v1/targets: passed when
    the job has targets and every one is up; failed (naming the down targets and their last error) when
    a target is not up or the job has none; skipped (saying why) for a job that scrapes the application
    when no application runs.

acceptance_http_items(hostnames, hosts, paths={}, redirect_host="api")
    The requests of the HTTP checks: https://<host name><path> for each key of `hosts` (path from
    `paths`, default /api/health-check) expecting 200, and http://<redirect host>/api/health-check
    expecting a 301 to https://<redirect host>.

http_checks(registered, skip_reason)
    One check result per item of a looped ansible.builtin.uri task (items: host, url, status, and for a
    redirect the expected location prefix): passed when the answer has the expected status (and
    location); failed with what came back; skipped, with `skip_reason`, for an item the task skipped.

acceptance_summary(checks, title)
    The report of every check as text: a count line, then one line per check (failed first).

Every check result is a dict: {"name", "status": passed | failed | skipped, "detail"}.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

ICONS = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}
ORDER = {"failed": 0, "skipped": 1, "passed": 2}


def check(name: str, status: str, detail: str) -> dict[str, str]:
    return {"name": name, "status": status, "detail": detail}


def active_targets(answer: Any) -> list[dict[str, Any]]:
    """The active targets of a /api/v1/targets answer (a registered uri result, or the JSON body).

    Raises ValueError, saying what came back, when Prometheus did not answer successfully.
    """
    if isinstance(answer, dict) and "data" not in answer and ("status" in answer or "json" in answer):
        if answer.get("status") != 200 or not isinstance(answer.get("json"), dict):
            reason = answer.get("msg") or f"HTTP {answer.get('status')}"
            raise ValueError(f"Prometheus did not answer at {answer.get('url', 'its URL')}: {reason}")
        answer = answer["json"]
    if not isinstance(answer, dict) or answer.get("status") != "success":
        raise ValueError(f"Prometheus did not answer with its target list: {str(answer)[:200]}")
    return list((answer.get("data") or {}).get("activeTargets") or [])


def target_job(target: dict[str, Any]) -> str:
    return str((target.get("labels") or {}).get("job") or target.get("scrapePool") or "")


def describe_down(targets: list[dict[str, Any]]) -> str:
    parts = []
    for target in targets:
        where = (target.get("labels") or {}).get("instance") or target.get("scrapeUrl") or "?"
        error = target.get("lastError") or "no scrape yet"
        parts.append(f"{where} is {target.get('health', 'unknown')} ({error})")
    return "; ".join(parts)


def prometheus_job_checks(
    answer: Any,
    jobs: list[str],
    app_jobs: list[str] | None = None,
    app_running: bool = True,
    skip_reason: str = "no application runs here",
) -> list[dict[str, str]]:
    if not isinstance(jobs, list):
        raise AnsibleFilterError(f"prometheus_job_checks: jobs must be a list of job names, got {jobs!r}")
    try:
        targets, error = active_targets(answer), ""
    except ValueError as exc:
        targets, error = [], str(exc)
    results = []
    for job in jobs:
        name = f"Prometheus job {job} healthy"
        mine = [target for target in targets if target_job(target) == job]
        down = [target for target in mine if target.get("health") != "up"]
        if job in (app_jobs or []) and not app_running:
            found = error or (f"{len(mine)} target(s), {len(down)} not up" if mine else "no target")
            results.append(check(name, "skipped", f"skipped: it scrapes the application and {skip_reason} ({found})"))
        elif error:
            results.append(check(name, "failed", error))
        elif not mine:
            present = sorted({target_job(target) for target in targets})
            results.append(check(name, "failed", f"Prometheus has no target for job {job} (jobs: {present})"))
        elif down:
            results.append(check(name, "failed", f"{len(down)} of {len(mine)} target(s) not up: {describe_down(down)}"))
        else:
            results.append(check(name, "passed", f"{len(mine)} target(s) up"))
    return results


DEFAULT_PATH = "/api/health-check"


def acceptance_http_items(
    hostnames: dict[str, str], hosts: list[str], paths: dict[str, str] | None = None, redirect_host: str = "api"
) -> list[dict[str, Any]]:
    missing = [key for key in [*hosts, redirect_host] if key not in (hostnames or {})]
    if missing:
        raise AnsibleFilterError(f"acceptance_http_items: no host name for {missing} in {sorted(hostnames or {})}")
    items: list[dict[str, Any]] = [
        {"url": f"https://{hostnames[key]}{(paths or {}).get(key, DEFAULT_PATH)}", "status": 200} for key in hosts
    ]
    redirect = hostnames[redirect_host]
    items.append({"url": f"http://{redirect}{DEFAULT_PATH}", "status": 301, "location": f"https://{redirect}"})
    return items


def http_check_name(item: dict[str, Any]) -> str:
    if item.get("location"):
        return f"{item['url']} redirects to {item['location']}... ({item.get('status', 301)})"
    return f"{item['url']} answers {item.get('status', 200)}"


def http_checks(registered: Any, skip_reason: str = "skipped") -> list[dict[str, str]]:
    if not isinstance(registered, dict) or not isinstance(registered.get("results"), list):
        raise AnsibleFilterError("http_checks: expects the registered result of a looped ansible.builtin.uri task")
    results = []
    for answer in registered["results"]:
        item = answer.get("item") or {}
        if not isinstance(item, dict) or "url" not in item:
            raise AnsibleFilterError(f"http_checks: each loop item needs a url: {item!r}")
        name = http_check_name(item)
        if answer.get("skipped"):
            results.append(check(name, "skipped", skip_reason))
            continue
        expected, status = int(item.get("status", 200)), answer.get("status")
        location = str(answer.get("location") or "")
        if status == expected and location.startswith(str(item.get("location") or "")):
            results.append(check(name, "passed", f"HTTP {status}" + (f" to {location}" if location else "")))
        elif status == expected:
            results.append(check(name, "failed", f"HTTP {status} to {location or '(no location)'}"))
        else:
            reason = answer.get("msg") or ""
            results.append(check(name, "failed", f"HTTP {status}, expected {expected}: {reason}".rstrip(": ")))
    return results


def acceptance_summary(checks: list[dict[str, str]], title: str = "Acceptance") -> str:
    counts = {status: sum(1 for item in checks if item["status"] == status) for status in ORDER}
    head = (
        f"{title}: {counts['passed']} of {len(checks)} checks passed "
        f"({counts['failed']} failed, {counts['skipped']} skipped)"
    )
    ordered = sorted(checks, key=lambda item: ORDER.get(item["status"], 0))
    lines = [f"{ICONS.get(item['status'], '????')}  {item['name']}: {item['detail']}" for item in ordered]
    return "\n".join([head, *lines])


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "prometheus_job_checks": prometheus_job_checks,
            "acceptance_http_items": acceptance_http_items,
            "http_checks": http_checks,
            "acceptance_summary": acceptance_summary,
        }
