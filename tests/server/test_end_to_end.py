"""The desktop app's own client against a real ``shopguard-server serve --dev`` process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from shopguard.privacy.payload import build_order_payload, build_outcome_payload
from shopguard.scoring.model import MODEL_VERSION
from shopguard.scoring.service_client import ServiceClient, batch_key
from tests.helpers.factories import BASE_TIME, make_order


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    return subprocess.run(
        [sys.executable, "-m", "shopguard.server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    db = ["--database-url", f"sqlite:///{tmp_path / 'e2e.sqlite3'}", "--data-dir", str(tmp_path)]
    created = _cli("create-shop", "--name", "E2E", *db)
    assert created.returncode == 0, created.stderr
    shop = json.loads(created.stdout)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "shopguard.server.cli", "serve", "--dev", "--port", str(port), *db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield url, shop
    finally:
        process.terminate()
        try:
            _, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    assert b"development mode" in stderr
    assert shop["secret"].encode() not in stderr  # never logged
    assert (tmp_path / "dev-pepper").exists()


def test_desktop_client_against_the_real_server(server: tuple[str, dict[str, str]]) -> None:
    url, shop = server
    client = ServiceClient(url, shop["shop_id"], shop["secret"], max_retries=0)
    try:
        config = client.config()
        assert config.hash_scheme == "v1" and config.max_batch == 100
        first = make_order(1, billing_phone="691 234 5678")
        second = make_order(
            2,
            billing_phone="691 234 5678",
            billing_email="other@example.com",
            date_created_gmt=BASE_TIME + timedelta(days=10),
        )
        bodies = [json.dumps(build_order_payload(first, config.salt))]
        results = client.score(bodies, idempotency_key=batch_key(["1"]))
        assert [r.order_id for r in results] == ["1"]
        assert results[0].band in {"low", "medium"} and results[0].model == MODEL_VERSION
        # The same batch again (a resend after a crash): the stored answer comes back.
        assert client.score(bodies, idempotency_key=batch_key(["1"])) == results
        refused = build_outcome_payload(1, "refused", BASE_TIME + timedelta(days=3))
        ack = client.outcomes([json.dumps(refused)], idempotency_key=batch_key(["o1"]))
        assert (ack.accepted, ack.unknown_orders) == (1, [])
        unknown = build_outcome_payload(99, "delivered", BASE_TIME + timedelta(days=3))
        assert client.outcomes([json.dumps(unknown)]).unknown_orders == ["99"]
        [later] = client.score([json.dumps(build_order_payload(second, config.salt))])
        assert later.p_fail is not None and results[0].p_fail is not None
        assert later.p_fail > results[0].p_fail
        texts = [r["text"] for r in later.reasons]
        assert "At this shop, 1 of 1 earlier parcel to this customer was refused." in texts
    finally:
        client.close()
