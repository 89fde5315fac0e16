#!/usr/bin/env python3
"""Check that every dashboard query uses only metrics the exporters really expose.

    python scripts/check_dashboard_metrics.py                 # live exporters on this machine + catalogs
    python scripts/check_dashboard_metrics.py --scrape URL    # add or replace the live sources

The dashboards are the specs of roles/grafana/vars/main.yml. Metric names come from:
* the live /metrics of the exporters running here (node, mysqld with MariaDB, redis with Redis,
  Prometheus, Alertmanager, mongodb) — what they expose right now;
* the real mongodb exporter connected to tests/mongo_wire_stub.py (--mongodb-stub): Debian bookworm
  has no MongoDB server, and unconnected the exporter exposes only mongodb_up;
* the names the RDS CloudWatch textfile job writes (read from its script);
* catalogs for what cannot run here at all (tests/data/metric_catalogs/*.txt, each saying where its
  names come from): the Spring Boot application's actuator.
Exit 1 with one line per unknown metric.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SPECS = REPO_ROOT / "roles/grafana/vars/main.yml"
CATALOGS = REPO_ROOT / "tests/data/metric_catalogs"
RDS_SCRIPT = REPO_ROOT / "roles/db_exporters/files/rds_cloudwatch_textfile.py"
LIVE = [
    "http://127.0.0.1:9090/metrics",
    "http://127.0.0.1:9093/metrics",
    "http://127.0.0.1:9100/metrics",
    "http://127.0.0.1:9104/metrics",
    "http://127.0.0.1:9121/metrics",
    "http://127.0.0.1:9216/metrics",
]
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"}
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


class UnsafeLoader(yaml.SafeLoader):
    """Reads Ansible's `!unsafe` strings as plain strings."""


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load_specs(path: Path = SPECS) -> list[dict[str, Any]]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=UnsafeLoader)["grafana_dashboard_specs"]  # noqa: S506 - SafeLoader subclass


def metric_names(promql: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, keywords and labels left out)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', promql)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in IDENTIFIER.finditer(text):
        name = match.group(0)
        following = text[match.end() :].lstrip()
        if name in KEYWORDS or following.startswith("("):
            continue
        if match.start() > 0 and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "."):
            continue  # the unit of a number or duration (5m, 1e3)
        names.add(name)
    return names


def exposed(text: str) -> set[str]:
    """Metric names in a Prometheus text exposition (samples and # TYPE lines)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def scrape(url: str) -> set[str]:
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - loopback exporters given on the command line
        return exposed(answer.read().decode("utf-8", errors="replace"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def connected_mongodb_exporter(binary: str = "prometheus-mongodb-exporter") -> Iterator[str]:
    """A second mongodb exporter on a free port, connected to the wire-protocol stub; yields its URL."""
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    import mongo_wire_stub

    stub = mongo_wire_stub.serve(free_port())
    port = free_port()
    command = [
        binary,
        "-web.listen-address",
        f"127.0.0.1:{port}",
        "-mongodb.uri",
        f"mongodb://127.0.0.1:{stub.server_address[1]}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=15) as answer:
                    text = answer.read().decode()
            except OSError:
                text = ""
            if "mongodb_up 1" in text:
                yield url
                return
            time.sleep(0.5)
        raise OSError("the mongodb exporter did not connect to the stub within 30 s")
    finally:
        process.terminate()
        process.wait(timeout=10)
        stub.shutdown()
        stub.server_close()


def catalog(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}


def rds_script_metrics(path: Path = RDS_SCRIPT) -> set[str]:
    return set(re.findall(r'"(dailyge_rds_[a-z_]+)"', path.read_text(encoding="utf-8")))


def unknown_metrics(specs: list[dict[str, Any]], known: set[str]) -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(REPO_ROOT / "collections"))
    from ansible_collections.dailyge.infra.plugins.filter.grafana_dashboard import grafana_promql

    missing = []
    for query in grafana_promql(specs):
        for name in sorted(metric_names(query["promql"]) - known):
            missing.append((query["dashboard"], query["panel"], name))
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrape", action="append", help="a /metrics URL (default: the exporters on this machine)")
    parser.add_argument("--catalog-dir", type=Path, default=CATALOGS)
    parser.add_argument(
        "--mongodb-stub", action="store_true", help="also scrape a mongodb exporter connected to a stub"
    )
    args = parser.parse_args(argv)

    known = set(SYNTHETIC) | rds_script_metrics()
    for path in sorted(args.catalog_dir.glob("*.txt")):
        known |= catalog(path)
    for url in args.scrape or LIVE:
        try:
            found = scrape(url)
        except OSError as exc:
            print(f"cannot scrape {url}: {exc}", file=sys.stderr)
            return 2
        print(f"{url}: {len(found)} metric names")
        known |= found
    if args.mongodb_stub:
        try:
            with connected_mongodb_exporter() as url:
                found = scrape(url)
        except OSError as exc:
            print(f"mongodb exporter against the stub: {exc}", file=sys.stderr)
            return 2
        print(f"mongodb exporter connected to the wire-protocol stub: {len(found)} metric names")
        known |= found
    specs = load_specs()
    missing = unknown_metrics(specs, known)
    for dashboard, panel, name in missing:
        print(f"{dashboard} / {panel}: metric {name} is exposed by no exporter")
    total = sum(len(panel.get("exprs", [])) for spec in specs for panel in spec["panels"])
    print(f"{total} dashboard queries checked, {len(missing)} unknown metrics")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
