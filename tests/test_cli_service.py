"""``shopguard service set``, ``push`` and ``outcome`` against a loopback scoring service:
what the owner reads when setting up fails, when a push follows a failed one, and when the
service refuses the shop's secret. Real processes, as a script would run them."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopguard.demo.server import DemoStore
from tests.helpers.capture_service import CaptureService
from tests.helpers.scoring_server import free_port
from tests.test_cli import run

Result = subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=40, seed=12) as demo:
        yield demo


@pytest.fixture
def service() -> Iterator[CaptureService]:
    with CaptureService() as capture:
        yield capture


def _env(store: DemoStore, secret: str = "s3cret-for-tests") -> dict[str, str]:
    key, consumer_secret = store.credentials
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    env.update(
        SHOPGUARD_CONSUMER_KEY=key,
        SHOPGUARD_CONSUMER_SECRET=consumer_secret,
        SHOPGUARD_SERVICE_SECRET=secret,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def _set(url: str, shop_id: str, data_dir: object, env: dict[str, str]) -> Result:
    where = ["--data-dir", str(data_dir)]
    return run("service", "set", "--url", url, "--shop-id", shop_id, *where, env=env)


def _not_set_up(result: subprocess.CompletedProcess[str], data_dir: Path) -> str:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shopguard: The scoring service was not set up; nothing was saved.")
    assert "queued" not in lines[0] and "wait" not in lines[0]
    shown = run("service", "show", "--data-dir", str(data_dir))
    assert shown.stdout.startswith("No scoring service is configured")
    return lines[0]


def test_service_set_failures_say_nothing_was_set_up(
    store: DemoStore, service: CaptureService, tmp_path: Path
) -> None:
    env = _env(store)
    nobody = f"http://127.0.0.1:{free_port()}"
    down = _set(nobody, "shop-1", tmp_path, env)
    assert f"Nothing answered at {nobody}" in _not_set_up(down, tmp_path)

    stranger = _set(service.url, "shop-2", tmp_path, env)
    line = _not_set_up(stranger, tmp_path)
    assert "did not accept this shop's ID or secret (shop ID shop-2)" in line

    wrong = _set(service.url, "shop-1", tmp_path, _env(store, "wrongsecret"))
    assert "(shop ID shop-1)" in _not_set_up(wrong, tmp_path)

    shop = _set(store.url, "shop-1", tmp_path, env)
    line = _not_set_up(shop, tmp_path)
    assert f"{store.url} does not answer like a ShopGuard scoring service (HTTP 404)" in line
    assert "not your shop's" in line and "Please report this" not in line


def test_push_sends_what_waits_after_a_failure_at_once(
    store: DemoStore, service: CaptureService, tmp_path: Path
) -> None:
    env = _env(store)
    data_dir = str(tmp_path / "p")
    configured = _set(service.url, "shop-1", data_dir, env)
    assert configured.returncode == 0, configured.stderr

    service.fail_posts = True  # the service is down for the sync's own push
    synced = run("sync", "--url", store.url, "--data-dir", data_dir, env=env)
    assert synced.returncode == 0, synced.stderr
    queued = re.search(r"0 orders and 0 outcomes sent, (\d+) still queued", synced.stderr)
    assert queued is not None, synced.stderr

    service.fail_posts = False  # back: the owner pushes at once, within the back-off
    pushed = run("push", "--data-dir", data_dir, env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.startswith(f"{store.url}: Scoring service: 40 orders and ")
    assert "still queued" not in pushed.stdout
    assert len(service.orders) == 40


def test_an_outcome_the_service_refuses_the_secret_for_says_so(
    store: DemoStore, service: CaptureService, tmp_path: Path
) -> None:
    env = _env(store)
    data_dir = str(tmp_path / "p")
    configured = _set(service.url, "shop-1", data_dir, env)
    assert configured.returncode == 0, configured.stderr
    assert run("sync", "--url", store.url, "--data-dir", data_dir, env=env).returncode == 0
    number = json.loads(run("orders", "--json", "--data-dir", data_dir).stdout)[0]["number"]

    refused = run("outcome", number, "refused", "--data-dir", data_dir, env=_env(store, "wrong"))
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert f"Order {number} is marked refused." in refused.stdout
    assert "did not accept this shop's ID or secret" in refused.stdout
    assert "with the next sync" not in refused.stdout
    assert refused.stderr.startswith("shopguard: The scoring service did not accept this shop")
    assert "shopguard service set" in refused.stderr
    refusals = {k: v for k, v in service.outcomes.items() if v["outcome"] == "refused"}
    assert not refusals

    # Nothing was lost: with the right secret, the next push sends it.
    pushed = run("push", "--data-dir", data_dir, env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert "1 outcomes sent" in pushed.stdout
    assert [o["outcome"] for o in service.outcomes.values()].count("refused") == 1

    # A service that is only down keeps the old wording (and success: it was queued).
    service.fail_posts = True
    later = run("outcome", number, "delivered", "--data-dir", data_dir, env=env)
    assert later.returncode == 0, later.stderr
    assert "with the next sync" in later.stdout
