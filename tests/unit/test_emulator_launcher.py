"""The emulator launcher: idempotent start, reuse, stop, clear errors, the Slack receiver beside it."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import pytest
from support import free_port, start_emulator

from emulator import launcher
from emulator.__main__ import main as emulator_cli


def test_start_is_idempotent_and_reuses_the_running_emulator(emulator):
    again = launcher.start(emulator.settings)
    assert again["reused"] is True
    assert again["pid"] == launcher.read_pid(emulator.settings)
    assert "ecs_service_without_network_configuration" in again["patches"]


def test_health_tells_our_emulator_from_anything_else(emulator, tmp_path: Path):
    assert launcher.health(emulator.settings)["service"] == "dailyge-emulator"
    nobody = launcher.Settings(free_port(), free_port(), tmp_path)
    assert launcher.health(nobody) is None


def test_managed_iam_policies_are_loaded(emulator):
    iam = emulator.client("iam")
    arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AmazonEC2ContainerServiceforEC2Role"


def test_a_port_held_by_another_program_is_one_clear_error(tmp_path: Path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = launcher.Settings(holder.getsockname()[1], free_port(), tmp_path)
        with pytest.raises(launcher.EmulatorError, match=r"held by another program.*DAILYGE_EMULATOR_PORT"):
            launcher.start(busy)
    assert not busy.pid_file.exists()


def test_cli_reports_a_busy_port_on_one_line_with_exit_1(tmp_path: Path, monkeypatch, capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        monkeypatch.setenv("DAILYGE_EMULATOR_PORT", str(holder.getsockname()[1]))
        monkeypatch.setenv("DAILYGE_SLACK_PORT", str(free_port()))
        monkeypatch.setenv("DAILYGE_STATE_DIR", str(tmp_path))
        assert emulator_cli(["start"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "held by another program" in err


def test_stop_is_idempotent_and_status_says_down(tmp_path: Path, monkeypatch, capsys):
    running = start_emulator(tmp_path)
    assert launcher.stop(running.settings) is True
    assert launcher.health(running.settings) is None
    assert not running.settings.pid_file.exists()
    assert launcher.stop(running.settings) is False
    for key, value in running.env.items():
        monkeypatch.setenv(key, value)
    assert emulator_cli(["status"]) == 3
    assert "not running" in capsys.readouterr().out


def test_a_stale_pid_file_does_not_block_a_start(tmp_path: Path):
    settings = launcher.Settings(free_port(), free_port(), tmp_path)
    settings.pid_file.parent.mkdir(parents=True)
    settings.pid_file.write_text("999999\n")
    try:
        answer = launcher.start(settings)
        assert answer["reused"] is False
        assert int(settings.pid_file.read_text()) == answer["pid"] != 999999
    finally:
        launcher.stop(settings)


def test_recording_is_passed_through_to_moto(tmp_path: Path):
    running = start_emulator(tmp_path, {"MOTO_ENABLE_RECORDING": "true"})
    try:
        assert launcher.health(running.settings)["recording"] is True
        running.client("sqs").list_queues()
        url = running.endpoint + "/moto-api/recorder/download-recording"
        with urllib.request.urlopen(url) as answer:
            lines = [json.loads(line) for line in answer.read().decode().splitlines() if line.strip()]
        assert any("ListQueues" in json.dumps(line) for line in lines)
    finally:
        launcher.stop(running.settings)


def test_slack_receiver_runs_beside_the_emulator(emulator):
    url = f"http://127.0.0.1:{emulator.settings.slack_port}/services/T0/B0/x"
    request = urllib.request.Request(url, data=b'{"text": "deploy ok"}', method="POST")
    with urllib.request.urlopen(request) as answer:
        assert (answer.status, answer.read()) == (200, b"ok")
    assert emulator.slack_messages()[-1]["payload"] == {"text": "deploy ok"}
