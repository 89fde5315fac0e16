# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the short dashboard specs of roles/grafana into Grafana's dashboard JSON.

    {{ spec | dailyge.infra.grafana_dashboard(env='prod') | to_nice_json }}
    {{ specs | dailyge.infra.grafana_promql }}      # every PromQL query, variables substituted

A spec is {uid, title, tags, variables: [{name, query}], panels: [{title, unit, type, exprs:
[{expr, legend}]} or {title, unit, cloudwatch: {namespace, metric, dimensions, stat}}]}.
`grafana_promql` substitutes Grafana's variables ($__rate_interval, $<variable>) with values
that keep the query valid PromQL, so that promtool can parse each one.
"""

from __future__ import annotations

import re
from typing import Any

PROMETHEUS_UID = "prometheus"
CLOUDWATCH_UID = "cloudwatch"
PANEL_WIDTH = 12
PANEL_HEIGHT = 8
SUBSTITUTIONS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def _variable(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": spec["name"],
        "label": spec.get("label", spec["name"]),
        "type": "query",
        "datasource": {"type": "prometheus", "uid": PROMETHEUS_UID},
        "query": {"query": spec["query"], "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "definition": spec["query"],
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def _targets(panel: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    if "cloudwatch" in panel:
        metric = panel["cloudwatch"]
        datasource = {"type": "cloudwatch", "uid": CLOUDWATCH_UID}
        target = {
            "refId": "A",
            "datasource": datasource,
            "namespace": metric["namespace"],
            "metricName": metric["metric"],
            "dimensions": {key: [value] for key, value in metric.get("dimensions", {}).items()},
            "statistic": metric.get("stat", "Average"),
            "region": "default",
            "period": "",
            "metricQueryType": 0,
            "metricEditorMode": 0,
            "queryMode": "Metrics",
            "matchExact": True,
        }
        return datasource, [target]
    datasource = {"type": "prometheus", "uid": PROMETHEUS_UID}
    targets = [
        {
            "refId": chr(ord("A") + index),
            "datasource": datasource,
            "expr": query["expr"],
            "legendFormat": query.get("legend", "__auto"),
            "range": True,
        }
        for index, query in enumerate(panel["exprs"])
    ]
    return datasource, targets


def grafana_dashboard(spec: dict[str, Any], env: str = "") -> dict[str, Any]:
    """Grafana's dashboard JSON model for one spec (schema of Grafana 10/11)."""
    panels = []
    for index, panel in enumerate(spec["panels"]):
        datasource, targets = _targets(panel)
        kind = panel.get("type", "timeseries")
        panels.append(
            {
                "id": index + 1,
                "type": kind,
                "title": panel["title"],
                "datasource": datasource,
                "gridPos": {
                    "x": (index % 2) * PANEL_WIDTH,
                    "y": (index // 2) * PANEL_HEIGHT,
                    "w": PANEL_WIDTH,
                    "h": PANEL_HEIGHT,
                },
                "fieldConfig": {"defaults": {"unit": panel.get("unit", "short")}, "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
                "targets": targets,
            }
        )
    title = f"{spec['title']} ({env})" if env else spec["title"]
    return {
        "uid": spec["uid"],
        "title": title,
        "tags": ["dailyge", *spec.get("tags", [])],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [_variable(variable) for variable in spec.get("variables", [])]},
        "annotations": {"list": []},
        "panels": panels,
    }


def substitute(expr: str) -> str:
    """A dashboard query with Grafana's variables replaced so that it is plain PromQL."""
    for name, value in SUBSTITUTIONS.items():
        expr = expr.replace(name, value)
    return VARIABLE.sub(".*", expr)


def grafana_promql(specs: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every PromQL query of every dashboard: {dashboard, panel, expr (as written), promql (substituted)}."""
    found = []
    for spec in specs:
        for variable in spec.get("variables", []):
            match = re.fullmatch(r"label_values\((.*),\s*[A-Za-z_]+\)", variable["query"].strip())
            if match:
                found.append(
                    {
                        "dashboard": spec["uid"],
                        "panel": f"variable {variable['name']}",
                        "expr": variable["query"],
                        "promql": match.group(1),
                    }
                )
        for panel in spec["panels"]:
            for query in panel.get("exprs", []):
                found.append(
                    {
                        "dashboard": spec["uid"],
                        "panel": panel["title"],
                        "expr": query["expr"],
                        "promql": substitute(query["expr"]),
                    }
                )
    return found


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"grafana_dashboard": grafana_dashboard, "grafana_promql": grafana_promql}
