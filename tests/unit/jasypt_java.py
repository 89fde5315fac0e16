"""Drive the real Jasypt library (Debian's libjasypt-java) through tests/unit/java/JasyptHarness.java.

Used by the cross-check tests, and to regenerate the committed vectors made by real Jasypt:

    python tests/unit/jasypt_java.py > tests/unit/data/jasypt_vectors.json
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HARNESS_SOURCE = Path(__file__).resolve().parent / "java" / "JasyptHarness.java"
JAR_CANDIDATES = (Path("/usr/share/java/jasypt.jar"),)
TIMEOUT_S = 120


@dataclass(frozen=True)
class Harness:
    classpath: str

    def run(self, operation: str, algorithm: str, password: str, values: list[str]) -> list[str | None]:
        """One JVM for many values: each result, or None where Jasypt raised an error."""
        lines = "".join(base64.b64encode(value.encode("utf-8")).decode("ascii") + "\n" for value in values)
        env = dict(os.environ, JASYPT_PASSWORD=password)
        completed = subprocess.run(
            ["java", "-cp", self.classpath, "JasyptHarness", operation, algorithm],
            input=lines.encode("ascii"),
            capture_output=True,
            env=env,
            timeout=TIMEOUT_S,
            check=True,
        )
        out = completed.stdout.decode("ascii").splitlines()
        return [None if line.startswith("ERROR") else base64.b64decode(line).decode("utf-8") for line in out]


def unavailable_reason() -> str | None:
    """Why the real Jasypt cannot run here, or None when it can."""
    if shutil.which("java") is None or shutil.which("javac") is None:
        return "java/javac not on PATH (install a JDK, e.g. default-jdk-headless)"
    if find_jar() is None:
        return "Jasypt jar missing (apt-get install libjasypt-java -> /usr/share/java/jasypt.jar)"
    return None


def find_jar() -> Path | None:
    return next((jar for jar in JAR_CANDIDATES if jar.is_file()), None)


def build(work_dir: Path) -> Harness:
    jar = find_jar()
    if jar is None:
        raise RuntimeError(unavailable_reason())
    subprocess.run(
        ["javac", "-encoding", "UTF-8", "-cp", str(jar), "-d", str(work_dir), str(HARNESS_SOURCE)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_S,
    )
    return Harness(f"{jar}{os.pathsep}{work_dir}")


VECTOR_PASSWORD = "vector-password-not-a-secret"
VECTOR_PLAINTEXTS = ["jdbc:mysql://db:3306/dailyge", "p@ss w0rd!", "", "한글 daily planner ✓ 🚀", "a" * 40]


def make_vectors(harness: Harness) -> dict[str, object]:
    vectors = []
    for algorithm in ("PBEWithMD5AndDES", "PBEWITHHMACSHA512ANDAES_256"):
        for plaintext, ciphertext in zip(
            VECTOR_PLAINTEXTS,
            harness.run("encrypt", algorithm, VECTOR_PASSWORD, VECTOR_PLAINTEXTS),
            strict=True,
        ):
            vectors.append({"algorithm": algorithm, "plaintext": plaintext, "ciphertext": ciphertext})
    return {
        "made_by": "Jasypt 1.9.3 (Debian libjasypt-java) via tests/unit/java/JasyptHarness.java, OpenJDK 17",
        "password": VECTOR_PASSWORD,
        "iterations": 1000,
        "vectors": vectors,
    }


def main() -> int:
    reason = unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work_dir:
        print(json.dumps(make_vectors(build(Path(work_dir))), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
