"""The acceptance playbook's filters: Prometheus job health, HTTP check results, the report."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.dailyge.infra.plugins.filter import acceptance

HOSTS = {"api": "api.d.test", "api_dev": "api-dev.d.test", "monitoring": "monitoring.d.test"}


def target(job: str, health: str = "up", instance: str = "127.0.0.1:9100", error: str = "") -> dict:
    return {"labels": {"job": job, "instance": instance}, "scrapePool": job, "health": health, "lastError": error}


def answer(*targets: dict) -> dict:
    """A registered ansible.builtin.uri result of GET /api/v1/targets."""
    return {"status": 200, "url": "http://127.0.0.1:9090/api/v1/targets", "json": {
        "status": "success", "data": {"activeTargets": list(targets), "droppedTargets": []}}}  # fmt: skip


def by_name(checks: list[dict]) -> dict[str, tuple[str, str]]:
    return {check["name"]: (check["status"], check["detail"]) for check in checks}


def test_every_job_up_passes():
    checks = acceptance.prometheus_job_checks(answer(target("node"), target("prometheus")), ["node", "prometheus"])
    assert by_name(checks) == {
        "Prometheus job node healthy": ("passed", "1 target(s) up"),
        "Prometheus job prometheus healthy": ("passed", "1 target(s) up"),
    }


def test_a_down_target_and_a_missing_job_are_both_failed():
    found = answer(target("node"), target("redis", "down", "127.0.0.1:9121", "connection refused"), target("redis"))
    checks = by_name(acceptance.prometheus_job_checks(found, ["node", "redis", "mongodb"]))
    assert checks["Prometheus job node healthy"][0] == "passed"
    assert checks["Prometheus job redis healthy"] == (
        "failed",
        "1 of 2 target(s) not up: 127.0.0.1:9121 is down (connection refused)",
    )
    assert checks["Prometheus job mongodb healthy"] == (
        "failed",
        "Prometheus has no target for job mongodb (jobs: ['node', 'redis'])",
    )


def test_a_target_not_scraped_yet_is_not_healthy():
    checks = acceptance.prometheus_job_checks(answer(target("node", "unknown")), ["node"])
    assert checks[0]["status"] == "failed" and "is unknown (no scrape yet)" in checks[0]["detail"]


def test_application_jobs_are_skipped_when_no_application_runs_saying_why():
    found = answer(target("dailyge-api", "down", "10.0.1.5:32768", "context deadline exceeded"), target("node"))
    checks = acceptance.prometheus_job_checks(
        found, ["node", "dailyge-api"], ["dailyge-api"], False, "none runs in local"
    )
    assert by_name(checks)["Prometheus job dailyge-api healthy"] == (
        "skipped",
        "skipped: it scrapes the application and none runs in local (1 target(s), 1 not up)",
    )
    running = acceptance.prometheus_job_checks(found, ["dailyge-api"], ["dailyge-api"], True)
    assert running[0]["status"] == "failed"


def test_prometheus_not_answering_fails_every_expected_job():
    registered = {"status": -1, "url": "http://127.0.0.1:9090/api/v1/targets", "msg": "Connection refused"}
    checks = acceptance.prometheus_job_checks(registered, ["node", "redis"])
    assert [check["status"] for check in checks] == ["failed", "failed"]
    assert (
        checks[0]["detail"] == "Prometheus did not answer at http://127.0.0.1:9090/api/v1/targets: Connection refused"
    )


def test_jobs_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="jobs must be a list"):
        acceptance.prometheus_job_checks(answer(), "node")


def test_http_items_cover_each_host_and_the_redirect():
    items = acceptance.acceptance_http_items(HOSTS, ["api", "monitoring"], {"monitoring": "/api/health"})
    assert items == [
        {"url": "https://api.d.test/api/health-check", "status": 200},
        {"url": "https://monitoring.d.test/api/health", "status": 200},
        {"url": "http://api.d.test/api/health-check", "status": 301, "location": "https://api.d.test"},
    ]
    with pytest.raises(AnsibleFilterError, match=r"no host name for \['api_docs'\]"):
        acceptance.acceptance_http_items(HOSTS, ["api_docs"])


def test_http_checks_read_each_answer():
    items = acceptance.acceptance_http_items(HOSTS, ["api", "api_dev"])
    registered = {
        "results": [
            {"item": items[0], "status": 200, "url": items[0]["url"]},
            {
                "item": items[1],
                "status": -1,
                "msg": "Status code was -1 and not [200]: Request failed: <urlopen error>",
            },
            {"item": items[2], "status": 301, "location": "https://api.d.test/api/health-check"},
        ]
    }
    checks = by_name(acceptance.http_checks(registered, "skipped in local"))
    assert checks == {
        "https://api.d.test/api/health-check answers 200": ("passed", "HTTP 200"),
        "https://api-dev.d.test/api/health-check answers 200": (
            "failed",
            "HTTP -1, expected 200: Status code was -1 and not [200]: Request failed: <urlopen error>",
        ),
        "http://api.d.test/api/health-check redirects to https://api.d.test... (301)": (
            "passed",
            "HTTP 301 to https://api.d.test/api/health-check",
        ),
    }


def test_a_redirect_elsewhere_fails():
    [item] = acceptance.acceptance_http_items(HOSTS, [])
    registered = {"results": [{"item": item, "status": 301, "location": "http://api.d.test/"}]}
    [check] = acceptance.http_checks(registered)
    assert (check["status"], check["detail"]) == ("failed", "HTTP 301 to http://api.d.test/")


def test_skipped_requests_say_why():
    items = acceptance.acceptance_http_items(HOSTS, ["api"])
    registered = {"results": [{"item": item, "skipped": True, "false_condition": "x"} for item in items]}
    checks = acceptance.http_checks(registered, "skipped in local: no application runs")
    assert {check["status"] for check in checks} == {"skipped"}
    assert checks[0]["detail"] == "skipped in local: no application runs"


def test_http_checks_refuse_a_task_that_was_not_looped():
    with pytest.raises(AnsibleFilterError, match=r"looped ansible\.builtin\.uri"):
        acceptance.http_checks({"status": 200})


def test_summary_puts_failures_first_and_counts_everything():
    checks = [
        {"name": "a", "status": "passed", "detail": "fine"},
        {"name": "b", "status": "skipped", "detail": "why"},
        {"name": "c", "status": "failed", "detail": "broken"},
    ]
    assert acceptance.acceptance_summary(checks, "Dailyge local acceptance").splitlines() == [
        "Dailyge local acceptance: 1 of 3 checks passed (1 failed, 1 skipped)",
        "FAIL  c: broken",
        "skip  b: why",
        "ok    a: fine",
    ]
