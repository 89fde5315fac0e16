"""The emulator serves moto one request at a time (moto's backends are not thread-safe)."""

from __future__ import annotations

import threading
import time

import pytest

from emulator.server import HEALTH_PATH, health_middleware, one_request_at_a_time


def _app_counting_concurrency(state: dict[str, int]):
    lock = threading.Lock()

    def app(environ, start_response):
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        time.sleep(0.02)
        with lock:
            state["running"] -= 1
        start_response("200 OK", [])
        return [b"a", b"b"]

    return app


def _call_from_threads(app, count: int) -> list[bytes]:
    bodies: list[bytes] = []

    def call() -> None:
        bodies.append(b"".join(app({"PATH_INFO": "/"}, lambda *_: None)))

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return bodies


def test_requests_never_overlap_and_answers_are_whole() -> None:
    state = {"running": 0, "most": 0}
    bodies = _call_from_threads(one_request_at_a_time(_app_counting_concurrency(state)), 8)
    assert state["most"] == 1
    assert bodies == [b"ab"] * 8


def test_without_the_wrapper_requests_do_overlap() -> None:
    """The counter can see overlap: without the wrapper the same calls run together."""
    state = {"running": 0, "most": 0}
    _call_from_threads(_app_counting_concurrency(state), 8)
    assert state["most"] > 1


def test_a_failing_request_releases_the_lock() -> None:
    def failing(environ, start_response):
        raise RuntimeError("backend error")

    app = one_request_at_a_time(failing)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            app({"PATH_INFO": "/"}, lambda *_: None)


def test_health_answers_without_reaching_moto() -> None:
    def never(environ, start_response):
        raise AssertionError("health must not reach moto")

    app = health_middleware(one_request_at_a_time(never), {"serving": "one_request_at_a_time"})
    assert b"one_request_at_a_time" in b"".join(app({"PATH_INFO": HEALTH_PATH}, lambda *_: None))
