"""scripts/graph.py (`make graph`): the Terraform resource graph of an environment, drawn by Graphviz."""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "graph.py"
ENVS = sorted(path.name for path in (REPO_ROOT / "terraform" / "envs").iterdir() if any(path.glob("*.tf")))
RESOURCE_BLOCK = re.compile(r'^(resource|data)\s+"([^"]+)"\s+"([^"]+)"', re.MULTILINE)
MODULE_BLOCK = re.compile(r'^module\s+"([^"]+)"\s*\{.*?^\s*source\s*=\s*"(\.[^"]+)"', re.MULTILINE | re.DOTALL)

SAMPLE = """digraph G {
  rankdir = "RL";
  node [shape = rect, fontname = "sans-serif"];
  "aws_s3_bucket.b" [label="aws_s3_bucket.b"];
  "aws_vpc.this" [label="aws_vpc.this"];
  subgraph "cluster_module.net" {
    label = "module.net"
    fontname = "sans-serif"
    "module.net.data.aws_caller_identity.me" [label="data.aws_caller_identity.me"];
    "module.net.aws_security_group.sg" [label="aws_security_group.sg"];
  }
  "aws_s3_bucket.b" -> "module.net.aws_security_group.sg";
  "module.net.aws_security_group.sg" -> "aws_vpc.this";
}
"""


def load_graph_module():
    spec = importlib.util.spec_from_file_location("dailyge_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


graph = load_graph_module()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def declared_addresses(root: Path, prefix: str = "") -> set[str]:
    """Addresses of the resources and data sources a root module declares, through its local modules."""
    found = set()
    for path in root.glob("*.tf"):
        text = path.read_text()
        found |= {
            f"{prefix}{'data.' if kind == 'data' else ''}{rtype}.{name}"
            for kind, rtype, name in RESOURCE_BLOCK.findall(text)
        }
        for name, source in MODULE_BLOCK.findall(text):
            found |= declared_addresses((root / source).resolve(), f"{prefix}module.{name}.")
    return found


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600, check=False, env=env
    )


def test_parse_reads_nodes_modules_and_edges():
    parsed = graph.parse_dot(SAMPLE)
    assert set(parsed.nodes) == {
        "aws_s3_bucket.b",
        "aws_vpc.this",
        "module.net.data.aws_caller_identity.me",
        "module.net.aws_security_group.sg",
    }
    assert parsed.modules() == {
        "": ["aws_s3_bucket.b", "aws_vpc.this"],
        "module.net": ["module.net.data.aws_caller_identity.me", "module.net.aws_security_group.sg"],
    }
    assert ("module.net.aws_security_group.sg", "aws_vpc.this") in parsed.edges


@pytest.mark.parametrize(
    ("address", "module", "concern"),
    [
        ("aws_vpc.this", "", "network"),
        ("module.network.aws_subnet.private[0]", "module.network", "network"),
        ("module.a.module.b.aws_security_group.alb", "module.a.module.b", "security"),
        ('module.edge["x"].aws_wafv2_web_acl.this', 'module.edge["x"]', "edge"),
        ("module.ecs.aws_ecs_service.api", "module.ecs", "compute"),
        ("module.rds.aws_db_instance.this", "module.rds", "data"),
        ("module.obs.data.aws_iam_policy_document.x", "module.obs", "security"),
        ("module.obs.aws_cloudwatch_log_group.api", "module.obs", "observability"),
        ("terraform_data.zip", "", "other"),
    ],
)
def test_module_and_concern_of_an_address(address: str, module: str, concern: str):
    assert graph.module_of(address) == module
    assert graph.category(address)[1] == concern


def test_styled_dot_draws_dependencies_first_and_data_sources_dashed():
    dot = graph.to_dot(graph.parse_dot(SAMPLE), "title")
    assert '"aws_vpc.this" -> "module.net.aws_security_group.sg";' in dot
    assert re.search(r'"module.net.data.aws_caller_identity.me" \[.*style="rounded,filled,dashed"', dot)
    assert 'label="module.net"' in dot
    done = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("env", ENVS)
def test_the_graph_of_each_environment_renders_to_a_png(env: str, tmp_path: Path):
    output, dot = tmp_path / "graph.png", tmp_path / "graph.dot"
    done = run_script(
        "--env", env, "--output", str(output), "--dot", str(dot), "--work-dir", str(tmp_path / "w"), "--data-sources"
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    width, height = png_size(output)
    assert width > 100 and height > 50
    root = REPO_ROOT / "terraform" / "envs" / env
    declared = declared_addresses(root)
    drawn = set(re.findall(r'^\s+"([^"]+)" \[label=', dot.read_text(), re.MULTILINE))
    assert declared <= drawn, f"resources of {env} missing from the picture: {declared - drawn}"
    assert f"{output}: {len(drawn - {a for a in drawn if a.startswith('legend_')})} resources" in done.stdout
    assert not list(root.glob("zz_graph_override.tf")), "the graph run must not write into the repository"


def test_data_sources_are_left_out_unless_asked_for():
    parsed = graph.without_data_sources(graph.parse_dot(SAMPLE))
    assert set(parsed.nodes) == {"aws_s3_bucket.b", "aws_vpc.this", "module.net.aws_security_group.sg"}
    assert parsed.edges == [
        ("aws_s3_bucket.b", "module.net.aws_security_group.sg"),
        ("module.net.aws_security_group.sg", "aws_vpc.this"),
    ]


def test_an_unknown_environment_is_one_line_naming_the_known_ones(tmp_path: Path):
    done = run_script("--env", "staging", "--output", str(tmp_path / "g.png"))
    assert done.returncode == 1
    assert done.stderr.startswith("graph: no Terraform root module at ")
    assert "environments: " in done.stderr and "local" in done.stderr
    assert not (tmp_path / "g.png").exists()


def test_missing_graphviz_is_one_line_saying_what_to_install(tmp_path: Path):
    terraform_dir = str(Path(subprocess.check_output(["which", "terraform"], text=True).strip()).parent)
    assert terraform_dir != "/usr/bin", "terraform and dot share a folder: this test cannot hide dot"
    done = run_script(
        "--env", ENVS[0], "--output", str(tmp_path / "g.png"), "--work-dir", str(tmp_path / "w"),
        env={"PATH": terraform_dir, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == "graph: Graphviz's `dot` is not on PATH: apt-get install graphviz"
