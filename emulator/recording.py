"""Count the AWS API calls the emulator recorded, split into reads and writes.

Start the emulator with MOTO_ENABLE_RECORDING=true (`python -m emulator start` passes it through);
moto then records every request. `reset()` empties the recording, `calls()` returns one `Call` per
request: the service (from the SigV4 credential scope), the action (from `X-Amz-Target`, the
query-protocol `Action=` body, the Smithy RPC v2 path `/service/<service>/operation/<Operation>`
that CloudWatch now uses, or the REST method and path) and whether it writes.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

READ_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "Query", "Scan", "Search", "Lookup", "Filter", "Check")
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# Smithy RPC v2 (CBOR), e.g. CloudWatch in botocore >= 1.38: POST /service/<service>/operation/<Operation>
RPC_V2_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Call:
    service: str
    action: str
    write: bool


def classify(record: dict[str, Any]) -> Call:
    """The service, action and read/write kind of one recorded request."""
    headers = {key.lower(): value for key, value in record.get("headers", {}).items()}
    scope = CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    service = scope.group(1) if scope else "unknown"
    method = record.get("method", "GET").upper()
    target = headers.get("x-amz-target")
    if target:
        action = target.rsplit(".", 1)[-1]
        return Call(service, action, not action.startswith(READ_PREFIXES))
    body = record.get("body") or ""
    if record.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    form_action = parse_qs(body).get("Action") or parse_qs(urlsplit(record.get("url", "")).query).get("Action")
    if form_action:
        action = form_action[0]
        return Call(service, action, not action.startswith(READ_PREFIXES))
    path = urlsplit(record.get("url", "")).path
    rpc_v2 = RPC_V2_PATH.match(path)
    if rpc_v2:
        return Call(service, rpc_v2.group(1), not rpc_v2.group(1).startswith(READ_PREFIXES))
    return Call(service, f"{method} {path}", method not in ("GET", "HEAD"))


def _request(endpoint: str, path: str, method: str = "GET") -> bytes:
    request = urllib.request.Request(endpoint + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


def reset(endpoint: str) -> None:
    """Forget everything recorded so far."""
    _request(endpoint, "/moto-api/recorder/reset-recording", "POST")


def calls(endpoint: str) -> list[Call]:
    """Every request recorded since the last reset, in order."""
    raw = _request(endpoint, "/moto-api/recorder/download-recording").decode()
    return [classify(json.loads(line)) for line in raw.splitlines() if line.strip()]


def summarise(recorded: list[Call]) -> dict[str, Any]:
    """Totals for a report: reads, writes, and the writes by service and action."""
    writes = Counter(f"{call.service}:{call.action}" for call in recorded if call.write)
    return {
        "total": len(recorded),
        "reads": sum(not call.write for call in recorded),
        "writes": sum(call.write for call in recorded),
        "write_calls": dict(writes.most_common()),
        "by_service": dict(Counter(call.service for call in recorded).most_common()),
    }
