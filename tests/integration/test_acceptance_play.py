"""playbooks/ops/acceptance.yml against the embedded AWS, with resources the test builds itself
(tests/acceptance_stack.py), a stand-in Prometheus answering /api/v1/targets, and, for the HTTP
checks, a local endpoint that speaks HTTPS (certificate from a test CA) and plain HTTP on one port.

In `local` the play must pass with only the application's HTTP checks skipped (saying why); every
failed check must be reported, in the output and to Slack, and the run must exit non-zero.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import acceptance_stack
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support import REPO_ROOT, Emulator, LocalStack, PlaybookRun, free_port, run_playbook, start_emulator

from emulator import launcher

pytestmark = pytest.mark.integration

PLAYBOOK = "playbooks/ops/acceptance.yml"
APP_JOB = "application"


def expected_jobs() -> list[str]:
    """The jobs the local Prometheus is configured with (the playbook expects each), else its defaults."""
    path = REPO_ROOT / "inventories" / "local" / "group_vars" / "all" / "monitoring.yml"
    configs = (yaml.safe_load(path.read_text()) or {}).get("prometheus_scrape_configs") if path.exists() else None
    return [job["job_name"] for job in configs] if configs else [
        "prometheus", "alertmanager", "node", "mysqld", "redis", "mongodb", APP_JOB]  # fmt: skip


JOBS = expected_jobs()


# A stand-in Prometheus: GET /api/v1/targets answers with the targets the test sets.


class Prometheus:
    def __init__(self) -> None:
        self.targets: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self.handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def set(self, down: dict[str, str] | None = None, missing: tuple[str, ...] = ()) -> None:
        down = {APP_JOB: "connection refused", **(down or {})}
        self.targets = [
            {
                "labels": {"job": job, "instance": f"127.0.0.1:{9000 + index}"},
                "scrapePool": job,
                "health": "down" if job in down else "up",
                "lastError": down.get(job, ""),
            }
            for index, job in enumerate(JOBS)
            if job not in missing
        ]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        prometheus = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"status": "success", "data": {"activeTargets": prometheus.targets}}).encode()
                self.send_response(200 if self.path.startswith("/api/v1/targets") else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# An application stand-in behind "the ALB": HTTPS answers the health checks, plain HTTP redirects.


def certificate_files(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)

    def build(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("dailyge test CA", ca_key, "dailyge test CA", ca_key, True)
    leaf = build("127.0.0.1", leaf_key, "dailyge test CA", ca_key, False)
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class Application(ThreadingHTTPServer):
    """HTTPS and plain HTTP on one port: TLS when the first byte is a TLS handshake record."""

    def __init__(self, context: ssl.SSLContext, healthy: bool) -> None:
        self.context, self.healthy = context, healthy
        super().__init__(("127.0.0.1", free_port()), ApplicationHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        connection.settimeout(10)
        if connection.recv(1, socket.MSG_PEEK) == b"\x16":
            connection = self.context.wrap_socket(connection, server_side=True)
        return connection, address

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class ApplicationHandler(BaseHTTPRequestHandler):
    server: Application

    def do_GET(self) -> None:
        if not isinstance(self.connection, ssl.SSLSocket):
            self.send_response(301)
            self.send_header("Location", f"https://{self.server.host}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        ok = self.server.healthy and self.path in ("/api/health-check", "/api/health")
        body = b"ok" if ok else b"unavailable"
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


# Fixtures and helpers.


@dataclass
class World:
    emulator: Emulator
    stack: dict[str, Any]
    prometheus: Prometheus
    folder: Path

    def client(self, service: str) -> Any:
        return self.emulator.client(service)

    def run(self, *args: str, **extra_vars: Any) -> PlaybookRun:
        variables = {
            "stack": self.stack,
            "acceptance_prometheus_endpoint": self.prometheus.url,
            "acceptance_prometheus_retries": 0,
            "acceptance_http_retries": 0,
            **extra_vars,
        }
        path = self.folder / "extra-vars.json"
        path.write_text(json.dumps(variables))
        return run_playbook(PLAYBOOK, "-i", "inventories/local", "-e", f"@{path}", *args, env=self.emulator.env)

    def reports(self) -> list[str]:
        return [
            message["payload"]["text"]
            for message in self.emulator.slack_messages()
            if "acceptance" in message["payload"].get("text", "")
        ]


def start_world(folder: Path, hostnames: dict[str, str] | None = None) -> World:
    emulator = start_emulator(folder / "state")
    stack = acceptance_stack.build(emulator.client, hostnames or acceptance_stack.HOSTS)
    prometheus = Prometheus()
    prometheus.set()
    return World(emulator, stack, prometheus, folder)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    running = start_world(tmp_path)
    yield running
    running.prometheus.close()
    launcher.stop(running.emulator.settings)


def results(run: PlaybookRun) -> dict[str, dict[str, str]]:
    """The acceptance_results fact of the run: check name -> {status, detail}."""
    for play in run.report.get("plays", []):
        for task in play["tasks"]:
            if task["task"]["name"] == "Collect every result":
                facts = next(iter(task["hosts"].values()))["ansible_facts"]
                return {check["name"]: check for check in facts["acceptance_results"]}
    raise AssertionError(f"no results collected: {run.failure_messages() or run.stderr[-2000:]}")


def statuses(run: PlaybookRun) -> dict[str, str]:
    return {name: check["status"] for name, check in results(run).items()}


# Tests.


def test_local_passes_and_skips_only_what_needs_the_application(world: World):
    run = world.run()
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:]
    found = statuses(run)
    skipped = sorted(name for name, status in found.items() if status == "skipped")
    assert skipped == sorted(
        [
            "https://api.dailyge.example/api/health-check answers 200",
            "https://api-dev.dailyge.example/api/health-check answers 200",
            "https://api-docs.dailyge.example/api/health-check answers 200",
            "https://monitoring.dailyge.example/api/health answers 200",
            "http://api.dailyge.example/api/health-check redirects to https://api.dailyge.example... (301)",
            f"Prometheus job {APP_JOB} healthy",
        ]
    )
    assert all(status == "passed" for name, status in found.items() if name not in skipped), found
    assert len(found) == 9 + 5 + len(JOBS)  # AWS checks, HTTP checks (4 hosts and the redirect), Prometheus jobs
    details = results(run)
    reason = "skipped in local: no application runs behind the emulated ALB (its DNS name does not resolve)"
    assert details["https://api.dailyge.example/api/health-check answers 200"]["detail"] == reason
    [report] = world.reports()
    total = len(found)
    assert report.startswith(
        f":white_check_mark: Dailyge local acceptance: {total - 6} of {total} checks passed (0 failed, 6 skipped)"
    )


def test_check_mode_runs_every_check_and_posts_nothing(world: World):
    run = world.run("--check")
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0
    assert list(statuses(run).values()).count("passed") == 9 + len(JOBS) - 1
    assert world.reports() == []


def test_every_failed_check_is_reported_and_the_run_fails(world: World):
    acceptance_stack.break_waf_action(world.client, world.stack)
    acceptance_stack.break_autoscaling_target(world.client, world.stack)
    acceptance_stack.break_snapshot(world.client, world.stack)
    acceptance_stack.break_host_rule(world.client, world.stack)
    world.prometheus.set(down={"redis": "connection refused"}, missing=("mysqld",))
    run = world.run()
    assert run.returncode != 0
    failed = sorted(name for name, status in statuses(run).items() if status == "failed")
    assert failed == sorted(
        [
            "WAF rate rule dailyge-rate-limit on the ALB",
            "ECS autoscaling of dailyge-qa/dailyge-api",
            "Daily snapshot of dailyge-qa-db younger than 26 h",
            "ALB host rule api-docs.dailyge.example",
            "Prometheus job redis healthy",
            "Prometheus job mysqld healthy",
        ]
    )
    [message] = [text for text in run.failure_messages() if "acceptance check(s) failed" in text]
    assert message.startswith("6 acceptance check(s) failed:")
    for name in failed:
        assert name in message
    assert "action is count, expected block" in message
    [report] = world.reports()
    total = 9 + 5 + len(JOBS)
    assert report.startswith(
        f":x: Dailyge local acceptance: {total - 12} of {total} checks passed (6 failed, 6 skipped)"
    )
    assert all(f"FAIL  {name}" in report for name in failed)


def test_prometheus_not_answering_fails_each_expected_job(world: World):
    run = world.run(acceptance_prometheus_endpoint=f"http://127.0.0.1:{free_port()}")
    assert run.returncode != 0
    failed = [name for name, status in statuses(run).items() if status == "failed"]
    assert failed == [f"Prometheus job {job} healthy" for job in JOBS if job != APP_JOB]


def test_the_http_checks_against_a_running_application(tmp_path: Path):
    ca, cert, key = certificate_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    healthy, sick = Application(context, healthy=True), Application(context, healthy=False)
    hostnames = dict(acceptance_stack.HOSTS, api=healthy.host, api_dev=healthy.host, monitoring=healthy.host)
    hostnames["api_docs"] = sick.host
    running = start_world(tmp_path, hostnames)
    try:
        run = running.run(acceptance_app_running=True, acceptance_http_ca_path=str(ca))
        details = results(run)
    finally:
        running.prometheus.close()
        launcher.stop(running.emulator.settings)
        healthy.close()
        sick.close()
    http = {name: check for name, check in details.items() if name.startswith(("http://", "https://"))}
    assert {name: check["status"] for name, check in http.items()} == {
        f"https://{healthy.host}/api/health-check answers 200": "passed",
        f"https://{sick.host}/api/health-check answers 200": "failed",
        f"https://{healthy.host}/api/health answers 200": "passed",
        f"http://{healthy.host}/api/health-check redirects to https://{healthy.host}... (301)": "passed",
    }  # api and api_dev share the healthy endpoint: one name
    assert http[f"https://{sick.host}/api/health-check answers 200"]["detail"].startswith("HTTP 503, expected 200")
    assert details[f"Prometheus job {APP_JOB} healthy"]["status"] == "failed"  # the application job now counts
    assert run.returncode != 0


# The real local stack (site.yml converged once per session): what the other phases have not set up
# yet on this branch (the autoscaling policy, a daily backup) is created here and removed afterwards.


def local_prometheus_configured() -> bool:
    path = REPO_ROOT / "inventories" / "local" / "group_vars" / "all" / "monitoring.yml"
    return path.exists() and bool((yaml.safe_load(path.read_text()) or {}).get("prometheus_scrape_configs"))


def daily_snapshots(rds: Any, db: str) -> set[str]:
    found = rds.describe_db_snapshots(DBInstanceIdentifier=db, SnapshotType="manual")["DBSnapshots"]
    return {item["DBSnapshotIdentifier"] for item in found if item["DBSnapshotIdentifier"].startswith(f"{db}-daily-")}


def test_the_converged_local_stack_passes(local_stack: LocalStack, tmp_path: Path):
    emulator, stack = local_stack.emulator, local_stack.stack()
    scaling, rds, db = (
        emulator.client("application-autoscaling"),
        emulator.client("rds"),
        stack["rds_instance_identifier"],
    )
    resource_id = f"service/{stack['ecs_cluster_name']}/{stack['ecs_service_name']}"
    registered = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])["ScalableTargets"]
    snapshots_before = daily_snapshots(rds, db)
    prometheus = None if local_prometheus_configured() else Prometheus()
    try:
        if not registered:  # playbooks/autoscaling.yml not on this branch yet: what it would set up
            scaling.register_scalable_target(
                ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension="ecs:service:DesiredCount",
                MinCapacity=stack["ecs_service_min_capacity"], MaxCapacity=stack["ecs_service_max_capacity"],
            )  # fmt: skip
            acceptance_stack.put_policy(emulator.client, resource_id=resource_id)
        backup = run_playbook("playbooks/ops/backup.yml", "-i", "inventories/local", env=emulator.env)
        assert backup.returncode == 0, backup.failure_messages() or backup.stdout[-3000:]
        extra: dict[str, Any] = {"acceptance_prometheus_retries": 3}
        if prometheus is not None:
            prometheus.set()
            extra |= {"acceptance_prometheus_endpoint": prometheus.url, "acceptance_prometheus_jobs": JOBS}
        path = tmp_path / "extra-vars.json"
        path.write_text(json.dumps(extra))
        run = run_playbook(PLAYBOOK, "-i", "inventories/local", "-e", f"@{path}", env=emulator.env)
    finally:
        if not registered:
            scaling.deregister_scalable_target(
                ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension="ecs:service:DesiredCount"
            )
        for snapshot in daily_snapshots(rds, db) - snapshots_before:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot)
        if prometheus is not None:
            prometheus.close()
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:]
    found = statuses(run)
    assert sorted(name for name, status in found.items() if status == "skipped") == sorted(
        [name for name in found if name.startswith(("http://", "https://"))] + [f"Prometheus job {APP_JOB} healthy"]
    )
    assert found[f"WAF rate rule {stack['waf_rate_rule_name']} on the ALB"] == "passed"
    assert found[f"Daily snapshot of {db} younger than 26 h"] == "passed"  # made by playbooks/ops/backup.yml
