#!/usr/bin/env python3
"""Render the Terraform resource graph of an environment to a picture (`make graph`).

    python scripts/graph.py --env dev --output docs/graph.png

Runs `terraform init -backend=false` (no state, no credentials: only the configuration is read) and
`terraform graph` on terraform/envs/<env>, restyles the DOT it prints (one box per module, resources
coloured by concern, data sources dashed, arrows from a resource to what depends on it) and has
Graphviz's `dot` draw it. Terraform's working data goes to .state/graph/<env> (ignored by git); the
AWS provider comes from a filesystem mirror when the machine has one, as in roles/terraform.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MIRROR_CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    Path.home() / ".terraform.d" / "plugins",
)
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
TIMEOUT_S = 300

# Concern of a resource, by the start of its type: (prefixes, fill colour, legend label).
CATEGORIES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("aws_vpc_security_group", "aws_security_group", "aws_iam", "aws_kms", "aws_secretsmanager"),
        "#f4cccc",
        "security",
    ),
    (
        ("aws_vpc", "aws_subnet", "aws_route", "aws_nat", "aws_internet_gateway", "aws_eip", "aws_network"),
        "#cfe2f3",
        "network",
    ),
    (("aws_lb", "aws_alb", "aws_route53", "aws_acm", "aws_cloudfront", "aws_wafv2"), "#d9ead3", "edge"),
    (
        ("aws_ecs", "aws_autoscaling", "aws_appautoscaling", "aws_launch_template", "aws_instance", "aws_ecr"),
        "#fce5cd",
        "compute",
    ),
    (("aws_db", "aws_rds", "aws_elasticache", "aws_docdb"), "#fff2cc", "data"),
    (("aws_s3",), "#ead1dc", "storage"),
    (("aws_cloudwatch", "aws_sns", "aws_lambda", "aws_sqs"), "#d9d2e9", "observability"),
)
OTHER = ("#eeeeee", "other")

NODE_RE = re.compile(r'^\s*"(?P<address>[^"]+)"\s*\[label="(?P<label>[^"]*)"\];\s*$')
EDGE_RE = re.compile(r'^\s*"(?P<source>[^"]+)"\s*->\s*"(?P<target>[^"]+)";?\s*$')
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
MODULE_PREFIX_RE = re.compile(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)")


class GraphError(Exception):
    """A failure the user can act on; its message is the one line printed."""


@dataclass
class Graph:
    """The resource graph: node address -> label, and dependency edges (dependent -> dependency)."""

    nodes: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def modules(self) -> dict[str, list[str]]:
        """Node addresses grouped by module path ("" for the root module), in order of appearance."""
        grouped: dict[str, list[str]] = {}
        for address in self.nodes:
            grouped.setdefault(module_of(address), []).append(address)
        return grouped


def module_of(address: str) -> str:
    """`module.a.module.b.aws_x.y` -> `module.a.module.b`; a root resource -> ``."""
    match = MODULE_PREFIX_RE.match(address)
    return match.group(1).rstrip(".") if match else ""


def category(address: str) -> tuple[str, str]:
    """(fill colour, concern) of the resource at `address`."""
    resource = address[len(module_of(address)) :].lstrip(".")
    resource_type = resource.removeprefix("data.").split(".", 1)[0]
    for prefixes, colour, label in CATEGORIES:
        if resource_type.startswith(prefixes):
            return colour, label
    return OTHER


def parse_dot(text: str) -> Graph:
    """Read the nodes and edges of `terraform graph`'s summary output."""
    graph = Graph()
    for line in text.splitlines():
        if node := NODE_RE.match(line):
            graph.nodes[node["address"]] = node["label"]
        elif edge := EDGE_RE.match(line):
            graph.edges.append((edge["source"], edge["target"]))
    for source, target in graph.edges:
        for address in (source, target):
            graph.nodes.setdefault(address, address[len(module_of(address)) :].lstrip("."))
    return graph


def is_data_source(address: str) -> bool:
    return address[len(module_of(address)) :].lstrip(".").startswith("data.")


def without_data_sources(graph: Graph) -> Graph:
    """The graph of the managed resources only (data sources are reads, not things that exist)."""
    nodes = {address: label for address, label in graph.nodes.items() if not is_data_source(address)}
    edges = [(source, target) for source, target in graph.edges if source in nodes and target in nodes]
    return Graph(nodes, edges)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def node_line(address: str, label: str) -> str:
    colour, _ = category(address)
    style = "rounded,filled,dashed" if label.startswith("data.") else "rounded,filled"
    return f"    {quote(address)} [label={quote(label)}, fillcolor={quote(colour)}, style={quote(style)}];"


def to_dot(graph: Graph, title: str) -> str:
    """A styled DOT document: modules as boxes, resources coloured by concern, a legend."""
    lines = [
        "digraph dailyge {",
        f'  graph [rankdir=LR, label={quote(title)}, labelloc=t, fontsize=20, fontname="sans-serif",',
        "         newrank=true, nodesep=0.2, ranksep=0.9, splines=true, pad=0.3];",
        '  node [shape=box, fontname="sans-serif", fontsize=10, penwidth=1];',
        '  edge [color="#777777", arrowsize=0.6];',
    ]
    for index, (module, addresses) in enumerate(sorted(graph.modules().items())):
        if module:
            lines += [
                f"  subgraph cluster_{index} {{",
                f'    label={quote(module)}; style="rounded,filled"; fillcolor="#fafafa"; color="#999999";',
                '    fontname="sans-serif"; fontsize=12;',
            ]
        lines += [node_line(address, graph.nodes[address]) for address in addresses]
        if module:
            lines.append("  }")
    used = {category(address)[1] for address in graph.nodes}
    legend = [(colour, label) for _, colour, label in CATEGORIES if label in used]
    legend += [OTHER] if OTHER[1] in used else []
    if legend:
        lines += ["  subgraph cluster_legend {", '    label="concern"; style="rounded"; color="#999999"; fontsize=12;']
        lines += [
            f'    "legend_{label}" [label={quote(label)}, fillcolor={quote(colour)}, style="rounded,filled"];'
            for colour, label in legend
        ]
        lines.append("  }")
    # Terraform draws dependent -> dependency; the picture reads left to right, foundations first.
    lines += [f"  {quote(target)} -> {quote(source)};" for source, target in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def mirror_path() -> Path | None:
    """The first provider filesystem mirror on this machine that holds the AWS provider."""
    return next((path for path in MIRROR_CANDIDATES if (path / AWS_PROVIDER).is_dir()), None)


def cli_config(work_dir: Path) -> Path:
    """Write the Terraform CLI configuration of the graph runs (mirror when present, else registry)."""
    path = work_dir / "terraformrc"
    mirror = mirror_path()
    if mirror is not None:
        text = (
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{AWS_PROVIDER}"]\n  }}\n'
            f'  direct {{\n    exclude = ["{AWS_PROVIDER}"]\n  }}\n'
            "}\n"
        )
    else:
        text = f'plugin_cache_dir = "{work_dir / "plugin-cache"}"\n'
        (work_dir / "plugin-cache").mkdir(parents=True, exist_ok=True)
    path.write_text(text + "disable_checkpoint = true\n")
    return path


def run(command: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except FileNotFoundError as exc:
        raise GraphError(f"{command[0]} is not on PATH ({what})") from exc
    if done.returncode != 0:
        raise GraphError(f"{what} failed: {ANSI_RE.sub('', done.stderr or done.stdout).strip()}")
    return done.stdout


def shadow_root(root: Path, work_dir: Path) -> Path:
    """A copy of the root module whose backend is a local one in `work_dir` (no state, no credentials).

    `terraform graph` needs an initialised backend, and the dev/prod backend is S3. The env's files
    are linked into `work_dir`, beside links to the rest of terraform/ (so `../../modules/...` still
    resolves), with an override file that swaps the backend for a local one.
    """
    terraform_dir = root.parent.parent
    shadow = work_dir / "tree"
    if shadow.exists():
        shutil.rmtree(shadow)
    env_dir = shadow / root.relative_to(terraform_dir)
    env_dir.mkdir(parents=True)
    for entry in terraform_dir.iterdir():
        if entry.name != root.parent.name:
            (shadow / entry.name).symlink_to(entry)
    for entry in root.iterdir():
        if entry.is_file() and (entry.suffix in {".tf", ".json"} or entry.name == ".terraform.lock.hcl"):
            (env_dir / entry.name).symlink_to(entry)
    state = work_dir / "graph.tfstate"
    (env_dir / "zz_graph_override.tf").write_text(
        f'terraform {{\n  backend "local" {{\n    path = "{state}"\n  }}\n}}\n'
    )
    return env_dir


def terraform_graph(root: Path, work_dir: Path) -> str:
    """`terraform graph` of the root module `root` (configuration only: no state, no credentials)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        TF_CLI_CONFIG_FILE=str(cli_config(work_dir)),
        TF_DATA_DIR=str(work_dir / ".terraform"),
        TF_IN_AUTOMATION="1",
    )
    shadow = shadow_root(root, work_dir)
    run(["terraform", f"-chdir={shadow}", "init", "-input=false", "-no-color", "-reconfigure"], env, "terraform init")
    return run(["terraform", f"-chdir={shadow}", "graph"], env, "terraform graph")


def render(dot_text: str, output: Path) -> None:
    """Draw `dot_text` with Graphviz into `output` (the format follows the file's extension).

    PNG goes through Graphviz's paletted GD renderer when it has one: a fifth of the cairo
    renderer's size for the same picture, which matters for a file kept in git.
    """
    if shutil.which("dot") is None:
        raise GraphError("Graphviz's `dot` is not on PATH: apt-get install graphviz")
    output.parent.mkdir(parents=True, exist_ok=True)
    fmt = output.suffix.lstrip(".") or "png"
    renderers = [f"-T{fmt}:gd", f"-T{fmt}"] if fmt == "png" else [f"-T{fmt}"]
    for renderer in renderers:
        done = subprocess.run(
            ["dot", renderer, "-Gdpi=96", "-o", str(output)],
            input=dot_text,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if done.returncode == 0:
            return
    raise GraphError(f"dot failed: {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="dev", help="environment: a folder of terraform/envs (default dev)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "graph.png")
    parser.add_argument("--dot", type=Path, help="also write the styled DOT source here")
    parser.add_argument("--data-sources", action="store_true", help="draw data sources too (dashed)")
    parser.add_argument("--envs-dir", type=Path, default=REPO_ROOT / "terraform" / "envs", help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", type=Path, help="Terraform working data (default .state/graph/<env>)")
    args = parser.parse_args(argv)

    root = args.envs_dir / args.env
    try:
        if not (root.is_dir() and any(root.glob("*.tf"))):
            known = sorted(path.name for path in args.envs_dir.iterdir() if path.is_dir())
            raise GraphError(f"no Terraform root module at {root}; environments: {', '.join(known)}")
        work_dir = args.work_dir or REPO_ROOT / ".state" / "graph" / args.env
        graph = parse_dot(terraform_graph(root.resolve(), work_dir.resolve()))
        if not args.data_sources:
            graph = without_data_sources(graph)
        if not graph.nodes:
            raise GraphError(f"terraform graph of {root} shows no resource")
        what = "resources and data sources" if args.data_sources else "resources"
        title = f"Dailyge {args.env}: Terraform resource graph ({len(graph.nodes)} {what})"
        dot_text = to_dot(graph, title)
        if args.dot:
            args.dot.parent.mkdir(parents=True, exist_ok=True)
            args.dot.write_text(dot_text)
        render(dot_text, args.output)
    except GraphError as exc:
        print(f"graph: {exc}", file=sys.stderr)
        return 1
    modules = len([module for module in graph.modules() if module])
    print(f"{args.output}: {len(graph.nodes)} resources in {modules} modules, {len(graph.edges)} dependencies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
