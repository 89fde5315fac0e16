"""The Grafana dashboards: specs -> Grafana JSON, every query extractable as plain PromQL, metric names.

Parsing each query with promtool and checking its metrics against the live exporters happen where
those run: the grafana role validates every query with `promtool check rules` and its molecule
scenario runs scripts/check_dashboard_metrics.py against the exporters on this machine.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from ansible_collections.dailyge.infra.plugins.filter.grafana_dashboard import (
    FilterModule,
    grafana_dashboard,
    grafana_promql,
    substitute,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_checker():
    spec = importlib.util.spec_from_file_location(
        "check_dashboard_metrics", REPO_ROOT / "scripts/check_dashboard_metrics.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_dashboard_metrics"] = module
    spec.loader.exec_module(module)
    return module


checker = load_checker()
SPECS = checker.load_specs()


def test_the_five_dashboards_are_specified():
    assert [spec["uid"] for spec in SPECS] == [
        "dailyge-hosts",
        "dailyge-application",
        "dailyge-rds",
        "dailyge-redis",
        "dailyge-mongodb",
    ]


@pytest.mark.parametrize("spec", SPECS, ids=[spec["uid"] for spec in SPECS])
def test_a_dashboard_is_grafana_json_with_one_target_per_query(spec):
    dashboard = grafana_dashboard(spec, env="prod")
    assert dashboard["uid"] == spec["uid"]
    assert dashboard["title"].endswith("(prod)")
    assert len(dashboard["panels"]) == len(spec["panels"])
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(set(ids)) == len(ids)
    positions = {(p["gridPos"]["x"], p["gridPos"]["y"]) for p in dashboard["panels"]}
    assert len(positions) == len(ids), "no two panels overlap"
    for panel, source in zip(dashboard["panels"], spec["panels"], strict=True):
        if "cloudwatch" in source:
            assert panel["datasource"] == {"type": "cloudwatch", "uid": "cloudwatch"}
            assert panel["targets"][0]["namespace"] == "AWS/RDS"
        else:
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
            assert [t["expr"] for t in panel["targets"]] == [q["expr"] for q in source["exprs"]]
            assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])


def test_grafana_variables_become_plain_promql():
    assert substitute('rate(x{instance=~"$instance"}[$__rate_interval])') == 'rate(x{instance=~".*"}[5m])'
    assert substitute('up{service=~"${service}"}') == 'up{service=~".*"}'
    assert substitute('label_replace(up, "a", "$1", "b", "(.*)")') == 'label_replace(up, "a", "$1", "b", "(.*)")'


def test_every_query_and_variable_is_extracted():
    queries = grafana_promql(SPECS)
    panel_queries = sum(len(panel.get("exprs", [])) for spec in SPECS for panel in spec["panels"])
    variables = sum(len(spec.get("variables", [])) for spec in SPECS)
    assert len(queries) == panel_queries + variables
    assert all("$" not in query["promql"] for query in queries)
    assert {"dashboard", "panel", "expr", "promql"} == set(queries[0])


def test_the_filters_are_registered():
    assert set(FilterModule().filters()) == {"grafana_dashboard", "grafana_promql"}


@pytest.mark.parametrize(
    ("promql", "names"),
    [
        ('100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))', {"node_cpu_seconds_total"}),
        ("a_total / on (job) group_left (x) b_info", {"a_total", "b_info"}),
        ('sum without (le) (rate(h_bucket{le="0.5", job=~"a|b"}[1m] offset 5m)) > bool 3', {"h_bucket"}),
        ('jvm_memory_max_bytes{area="heap"} > 0 and up unless down', {"jvm_memory_max_bytes", "up", "down"}),
        (
            "time() - dailyge_job_last_success_timestamp_seconds > 26 * 3600",
            {"dailyge_job_last_success_timestamp_seconds"},
        ),
        ("1e3 * rate(x[1h30m])", {"x"}),
    ],
)
def test_metric_names_are_read_from_a_query(promql, names):
    assert checker.metric_names(promql) == names


def test_exposition_text_gives_the_metric_names():
    text = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\nb 1\n# TYPE c_seconds histogram\n'
    assert checker.exposed(text) == {"a_total", "b", "c_seconds"}


def test_an_unknown_metric_is_reported_with_its_dashboard_and_panel():
    spec = {"uid": "d", "title": "D", "panels": [{"title": "P", "exprs": [{"expr": "rate(known_total[5m]) + nope"}]}]}
    assert checker.unknown_metrics([spec], {"known_total"}) == [("d", "P", "nope")]


def test_the_rds_textfile_metrics_are_read_from_its_script():
    assert checker.rds_script_metrics() == {
        "dailyge_rds_cpu_utilization_percent",
        "dailyge_rds_database_connections",
        "dailyge_rds_free_storage_bytes",
    }
