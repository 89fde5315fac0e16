"""A MongoDB wire-protocol stand-in, for tests only: enough of mongod for an exporter to connect.

Debian bookworm has no MongoDB server, so the mongodb exporter cannot be shown a real one here.
This stub answers the legacy OP_QUERY commands the exporter's driver (mgo) sends — isMaster, getnonce, ping,
buildInfo, serverStatus (a document shaped like MongoDB 4.0's, with made-up numbers) — and an error
for everything else. It proves which metric names the exporter exposes once connected; it is never
used by the local environment, which honestly reports mongodb_up 0.

    python tests/mongo_wire_stub.py --port 27017
"""

from __future__ import annotations

import argparse
import datetime as dt
import socketserver
import struct
import threading
from typing import Any

OP_REPLY = 1
OP_QUERY = 2004


def _cstring(value: str) -> bytes:
    return value.encode() + b"\x00"


def encode(document: dict[str, Any]) -> bytes:
    """BSON for the value types the stub answers with."""
    body = b""
    for key, value in document.items():
        name = _cstring(key)
        if isinstance(value, bool):
            body += b"\x08" + name + (b"\x01" if value else b"\x00")
        elif isinstance(value, int):
            body += (
                (b"\x10" + name + struct.pack("<i", value))
                if -(2**31) <= value < 2**31
                else (b"\x12" + name + struct.pack("<q", value))
            )
        elif isinstance(value, float):
            body += b"\x01" + name + struct.pack("<d", value)
        elif isinstance(value, str):
            data = value.encode() + b"\x00"
            body += b"\x02" + name + struct.pack("<i", len(data)) + data
        elif isinstance(value, dt.datetime):
            body += b"\x09" + name + struct.pack("<q", int(value.timestamp() * 1000))
        elif isinstance(value, dict):
            body += b"\x03" + name + encode(value)
        elif isinstance(value, list):
            body += b"\x04" + name + encode({str(index): item for index, item in enumerate(value)})
        else:
            raise TypeError(f"cannot encode {key}={value!r}")
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def first_key(document: bytes) -> str:
    """The command name: the first key of a BSON document."""
    end = document.index(b"\x00", 5)
    return document[5:end].decode()


def server_status(now: dt.datetime) -> dict[str, Any]:
    return {
        "host": "mongo-stub",
        "version": "4.0.28",
        "process": "mongod",
        "uptime": 3600.0,
        "uptimeMillis": 3_600_000,
        "localTime": now,
        "asserts": {"regular": 0, "warning": 0, "msg": 0, "user": 3, "rollovers": 0},
        "connections": {"current": 7, "available": 812, "totalCreated": 42},
        "extra_info": {"note": "fields vary by platform", "heap_usage_bytes": 1_048_576, "page_faults": 12},
        "globalLock": {
            "totalTime": 3_600_000_000,
            "currentQueue": {"total": 0, "readers": 0, "writers": 0},
            "activeClients": {"total": 10, "readers": 0, "writers": 0},
        },
        "locks": {"Global": {"acquireCount": {"r": 100, "w": 10}}},
        "network": {"bytesIn": 123_456, "bytesOut": 654_321, "numRequests": 999},
        "opcounters": {"insert": 11, "query": 22, "update": 33, "delete": 4, "getmore": 5, "command": 66},
        "opcountersRepl": {"insert": 0, "query": 0, "update": 0, "delete": 0, "getmore": 0, "command": 0},
        "mem": {"bits": 64, "resident": 85, "virtual": 1024, "supported": True, "mapped": 0, "mappedWithJournal": 0},
        "metrics": {
            "document": {"deleted": 1, "inserted": 11, "returned": 22, "updated": 33},
            "operation": {"scanAndOrder": 0, "writeConflicts": 0},
            "queryExecutor": {"scanned": 100, "scannedObjects": 200},
            "cursor": {"timedOut": 0, "open": {"noTimeout": 0, "pinned": 0, "total": 1}},
        },
        "ok": 1.0,
    }


def answer(command: str, now: dt.datetime) -> dict[str, Any]:
    lowered = command.lower()
    if lowered == "ismaster":
        return {
            "ismaster": True,
            "maxBsonObjectSize": 16_777_216,
            "maxMessageSizeBytes": 48_000_000,
            "maxWireVersion": 7,
            "minWireVersion": 0,
            "localTime": now,
            "ok": 1.0,
        }
    if lowered == "getnonce":
        return {"nonce": "2375531c32080ae8", "ok": 1.0}
    if lowered in ("ping", "getlasterror"):
        return {"ok": 1.0}
    if lowered == "buildinfo":
        return {"version": "4.0.28", "versionArray": [4, 0, 28, 0], "gitVersion": "stub", "bits": 64, "ok": 1.0}
    if lowered == "serverstatus":
        return server_status(now)
    return {"ok": 0.0, "errmsg": f"no such command: '{command}'", "code": 59, "codeName": "CommandNotFound"}


class Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock = self.request
        while True:
            header = self._read(16)
            if header is None:
                return
            length, request_id, _, opcode = struct.unpack("<iiii", header)
            body = self._read(length - 16)
            if body is None:
                return
            if opcode != OP_QUERY:
                return  # OP_MSG and the like: not spoken by this stub's clients
            collection_end = body.index(b"\x00", 4)
            query = body[collection_end + 1 + 8 :]
            command = first_key(query)
            if command in ("$query", "query"):
                command = first_key(query[query.index(b"\x00", 5) + 1 :])
            reply = encode(answer(command, dt.datetime.now(dt.UTC)))
            payload = struct.pack("<iqii", 0, 0, 0, 1) + reply
            sock.sendall(struct.pack("<iiii", 16 + len(payload), request_id + 1, request_id, OP_REPLY) + payload)

    def _read(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            try:
                chunk = self.request.recv(size - len(data))
            except OSError:  # the client hung up
                return None
            if not chunk:
                return None
            data += chunk
        return data


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(port: int, host: str = "127.0.0.1") -> Server:
    """Start the stub in a background thread; call .shutdown() to stop it."""
    server = Server((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=27017)
    Server(("127.0.0.1", parser.parse_args().port), Handler).serve_forever()
