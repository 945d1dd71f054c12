"""start_simulators(): ports, start/stop timing, the control host."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from desktop_app.simulators.server import SERVER_NAMES, start_simulators


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _send(url: str, method: str, payload: object | None = None) -> tuple[int, object]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_starts_fast_on_distinct_ports_and_stops_cleanly() -> None:
    threads_before = set(threading.enumerate())
    started = time.monotonic()
    sims = start_simulators()
    elapsed = time.monotonic() - started
    try:
        assert elapsed < 1.0
        assert set(sims.urls) == set(SERVER_NAMES)
        ports = {url.rsplit(":", 1)[1] for url in sims.urls.values()}
        assert len(ports) == len(SERVER_NAMES)
        assert sims.context.urls["udyam"] == sims.urls["udyam"]
        for name in ("udyam", "emudhra-partner", "emudhra", "emudhra-aadhaar"):
            assert name in sims.portals
    finally:
        stopping = time.monotonic()
        sims.stop()
    assert time.monotonic() - stopping < 2.0
    leftover = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
    assert leftover == []
    port = int(sims.urls["udyam"].rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_fixed_ports_and_context_manager() -> None:
    with socket.socket() as finder:
        finder.bind(("127.0.0.1", 0))
        free = finder.getsockname()[1]
    with start_simulators(ports={"control": free}) as sims:
        assert sims.urls["control"] == f"http://127.0.0.1:{free}"
        status, body = _get(sims.urls["control"] + "/")
        assert status == 200
        for name in ("udyam", "emudhra-partner", "emudhra", "emudhra-aadhaar"):
            assert sims.urls[name].encode() in body
        assert b"/UdyamRegistration.aspx" in body


def test_unknown_option_portal_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown portal"):
        start_simulators(options={"nope": {}})


def test_outbox_json_and_phone_page() -> None:
    with start_simulators() as sims:
        sims.outbox.send(
            channel="sms",
            to="9876543210",
            sender="UDYAM",
            portal="udyam",
            kind="final_otp",
            text="123456 is your OTP",
            code="123456",
        )
        sims.outbox.send(
            channel="email",
            to="a@example.com",
            sender="eMudhra",
            portal="emudhra",
            kind="email_otp",
            text="Code 4321",
            code="4321",
        )
        control = sims.urls["control"]
        status, body = _get(control + "/outbox.json?to=9876543210")
        messages = json.loads(body)
        assert status == 200 and [m["code"] for m in messages] == ["123456"]
        assert len(json.loads(_get(control + "/outbox.json")[1])) == 2
        status, page = _get(control + "/phone")
        text = page.decode()
        assert status == 200 and 'http-equiv="refresh"' in text
        assert "123456 is your OTP" in text and "Code 4321" in text and "UDYAM" in text
        assert "Mailbox" in text


def test_faults_endpoint_sets_lists_and_clears() -> None:
    with start_simulators(faults={"latency": {"ms": 1}}) as sims:
        url = sims.urls["control"] + "/faults"
        assert _send(url, "GET")[1] == {"latency": {"ms": 1}}
        status, body = _send(url, "POST", {"wrong_otp": {"mobile": "9876543210"}})
        assert status == 200 and "wrong_otp" in body
        assert sims.faults.get("wrong_otp") == {"mobile": "9876543210"}
        status, body = _send(url, "POST", {"no_such_fault": {}})
        assert status == 400 and "unknown fault" in body["error"]
        assert _send(url, "DELETE")[1] == {}
        assert sims.faults.snapshot() == {}


def test_options_endpoint_configures_a_portal() -> None:
    with start_simulators(options={"udyam": {"otp_digits": 6}}) as sims:
        url = sims.urls["control"] + "/options"
        status, _ = _send(
            url, "POST", {"udyam": {"layout": "old", "captcha_length": 5}}
        )
        assert status == 200
        udyam = sims.portals["udyam"]
        assert udyam.layout == "old" and udyam.captcha_length == 5
        status, body = _send(url, "POST", {"udyam": {"bogus": 1}})
        assert status == 400 and "bogus" in body["error"]


def test_links_endpoint_sets_where_the_aadhaar_otp_goes() -> None:
    with start_simulators() as sims:
        url = sims.urls["control"] + "/links"
        status, body = _send(url, "POST", {"234567890124": "9876543210"})
        assert status == 200 and body == {"linked": 1}
        assert sims.context.linked_mobile("234567890124") == "9876543210"
        status, body = _send(url, "POST", {"2345": "9876543210"})
        assert status == 400 and "12 Aadhaar digits" in body["error"]
        status, body = _send(url, "POST", {"234567890124": 98765})
        assert status == 400 and "mobile" in body["error"]


def test_seed_makes_otps_repeatable() -> None:
    codes = []
    for _ in range(2):
        with start_simulators(seed=42) as sims:
            codes.append(sims.context.otp(6))
    assert codes[0] == codes[1]


def test_simulate_command_parses_faults_and_serves_until_stopped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import argparse

    from desktop_app.commands import simulate

    assert simulate.parse_fault("wrong_otp:mobile=9876543210,times=1") == (
        "wrong_otp",
        {"mobile": "9876543210", "times": 1},
    )
    with pytest.raises(ValueError, match="unknown fault"):
        simulate.parse_fault("nope")
    parser = argparse.ArgumentParser()
    simulate.configure(parser)
    args = parser.parse_args(["--fault", "slow_loader:ms=10"])
    stop = threading.Event()
    runner = threading.Thread(target=lambda: simulate.run(args, stop))
    runner.start()
    deadline = time.monotonic() + 5
    output = ""
    while "Ctrl+C" not in output and time.monotonic() < deadline:
        time.sleep(0.05)
        output += capsys.readouterr().out
    stop.set()
    runner.join(5)
    assert not runner.is_alive()
    assert "/UdyamRegistration.aspx" in output and "/phone" in output
    assert "faults on: slow_loader" in output


def test_a_fault_switched_on_without_parameters_uses_its_defaults():
    with start_simulators(faults={"http_500_once": {}}) as sims:
        url = sims.urls["udyam"] + "/UdyamRegistration.aspx"
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(url, timeout=10).close()
        failed.value.close()
        assert failed.value.code == 500
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
