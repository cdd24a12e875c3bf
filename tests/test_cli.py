"""The ``shopguard`` command as a script would use it: real processes, real demo store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopguard import __version__
from shopguard.cli import main, order_json
from shopguard.demo.server import DemoStore
from shopguard.paths import resolve_paths
from shopguard.scoring.settings import make_settings, save_settings
from shopguard.store.repositories.scores import ScoreRecord
from tests.helpers.factories import make_order


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopguard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=1200, seed=5) as demo:
        yield demo


@pytest.fixture
def env(store: DemoStore) -> dict[str, str]:
    key, secret = store.credentials
    return dict(os.environ, SHOPGUARD_CONSUMER_KEY=key, SHOPGUARD_CONSUMER_SECRET=secret)


def _count(database: Path) -> tuple[int, int]:
    con = sqlite3.connect(database)
    try:
        total, distinct = con.execute(
            "SELECT count(*), count(DISTINCT woo_id) FROM orders"
        ).fetchone()
        return total, distinct
    finally:
        con.close()


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ShopGuard {__version__}"


def test_sync_then_orders_json(store: DemoStore, env: dict[str, str], tmp_path: Path) -> None:
    data_dir = str(tmp_path / "profile")
    result = run("sync", "--url", store.url, "--data-dir", data_dir, "--concurrency", "3", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == result.stdout.strip().splitlines()[-1]  # one line
    assert "1200 orders checked (1200 new, 0 changed)" in result.stdout
    assert "page 12/12" in result.stderr

    listed = run("orders", "--json", "--data-dir", data_dir)
    assert listed.returncode == 0, listed.stderr
    orders = json.loads(listed.stdout)
    assert len(orders) == 1200
    first = store.get_order(orders[0]["id"])
    assert orders[0]["number"] == first["number"]
    assert orders[0]["total"] == first["total"]
    assert orders[0]["date_created_gmt"] == first["date_created_gmt"]
    assert orders[0]["date_modified_gmt"] == first["date_modified_gmt"]
    for field in ("status", "currency", "payment_method"):
        assert orders[0][field] == first[field]
    # No scoring service: the sync scored every order on this computer.
    assert "Scored 1200 orders on this computer (this shop only)" in result.stderr
    assert {o["scored_by"] for o in orders} == {"local"}
    assert {o["risk_band"] for o in orders} <= {"low", "medium", "high", "unknown"}
    assert orders[0]["risk_score"] == orders[0]["risk"]["score"]
    assert orders[0]["risk_reasons"] and all(
        set(r) == {"code", "text", "weight"} for r in orders[0]["risk_reasons"]
    )
    assert orders[0]["sent_payload"] is None  # nothing left the machine
    again = run("score", "--data-dir", data_dir)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"{store.url}: Scored on this computer (this shop only): " + (
        "nothing new to score."
    )
    everything = run("score", "--all", "--data-dir", data_dir)
    assert everything.stdout.startswith(f"{store.url}: Scored 1200 orders on this computer")
    assert everything.stdout.strip().endswith("; 0 changed.")  # the same scores again
    # --data-dir keeps every file under the profile directory.
    assert (tmp_path / "profile" / "data" / "shopguard.sqlite3").exists()


def test_failures_are_one_line_without_traceback(env: dict[str, str], tmp_path: Path) -> None:
    data_dir = str(tmp_path / "p")
    cases = {
        "not a url": "address",
        "https://no-such-shop.invalid": "",
        "ftp://shop.example": "",
    }
    for url, _hint in cases.items():
        result = run("sync", "--url", url, "--data-dir", data_dir, env=env)
        assert result.returncode == 1, (url, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("shopguard: ")
        assert "Traceback" not in result.stderr


def test_wrong_secret_is_explained(store: DemoStore, tmp_path: Path) -> None:
    key, _secret = store.credentials
    env = dict(os.environ, SHOPGUARD_CONSUMER_KEY=key, SHOPGUARD_CONSUMER_SECRET="cs_" + "0" * 40)
    result = run("sync", "--url", store.url, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "key" in result.stderr.lower()
    assert "cs_000" not in result.stderr


def test_missing_credentials_say_how_to_provide_them(store: DemoStore, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    # No keyring backend in this child: the keyring library's "fail" backend.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    result = run("sync", "--url", store.url, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 1
    assert "SHOPGUARD_CONSUMER_KEY" in result.stderr


def test_killed_sync_resumes_without_loss_or_duplicates(
    store: DemoStore, env: dict[str, str], tmp_path: Path
) -> None:
    data_dir = tmp_path / "profile"
    database = data_dir / "data" / "shopguard.sqlite3"
    store.faults.latency = 0.15
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopguard",
            "sync",
            "--url",
            store.url,
            "--data-dir",
            str(data_dir),
            "--concurrency",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if database.exists():
                try:
                    if _count(database)[0] >= 300:
                        break
                except sqlite3.OperationalError:
                    pass  # the schema is still being created
            time.sleep(0.05)
        else:
            pytest.fail("the sync never got going")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    partial, _ = _count(database)
    assert 300 <= partial < 1200

    store.faults.latency = 0
    result = run("sync", "--url", store.url, "--data-dir", str(data_dir), env=env)
    assert result.returncode == 0, result.stderr
    total, distinct = _count(database)
    assert total == distinct == 1200
    con = sqlite3.connect(database)
    created = con.execute("SELECT count(*) FROM event_log WHERE kind = 'order.created'").fetchone()
    con.close()
    assert created[0] == 1200


def test_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "profile"
    assert run("orders", "--json", "--data-dir", str(data_dir)).returncode == 0
    database = data_dir / "data" / "shopguard.sqlite3"
    con = sqlite3.connect(database)
    con.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    con.commit()
    con.close()
    result = run("orders", "--json", "--data-dir", str(data_dir))
    assert result.returncode == 1
    assert "newer version of ShopGuard" in result.stderr


def test_doctor_reports_each_check(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    result = run("doctor", "--data-dir", str(tmp_path), env=env)
    assert "[ok ] Data folder" in result.stdout
    assert "[ok ] Qt" in result.stdout
    assert "[FIX] Keyring" in result.stdout
    assert "gnome-keyring" in result.stdout
    assert result.returncode == 1


def test_order_json_risk_fields_without_and_with_a_score() -> None:
    order = make_order(7)
    plain = order_json(order, "https://shop.example")
    assert (plain["risk_score"], plain["risk_band"], plain["scored_by"]) == (None, None, None)
    assert plain["risk_reasons"] == [] and plain["risk"] is None
    reason = {"code": "cod", "text": "Cash on delivery.", "weight": 0.83, "extra": 1}
    score = ScoreRecord(7, 41, "medium", 0.41, [reason], "sg-2", datetime.now(UTC), "local")
    scored = order_json(order, "https://shop.example", score=score)
    assert (scored["risk_score"], scored["risk_band"]) == (41, "medium")
    assert scored["scored_by"] == "local"
    assert scored["risk_reasons"] == [{"code": "cod", "text": "Cash on delivery.", "weight": 0.83}]


def test_score_refuses_when_a_scoring_service_scores_the_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = resolve_paths(tmp_path / "profile")
    save_settings(paths.config, make_settings("https://score.example", "shop-1"))
    assert main(["score", "--data-dir", str(tmp_path / "profile")]) == 1
    assert "scored by the scoring service at https://score.example" in capsys.readouterr().err


@pytest.fixture
def small_store() -> Iterator[DemoStore]:
    with DemoStore(orders=200, seed=17) as demo:
        yield demo


def test_outcome_and_pending_outcomes(
    small_store: DemoStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, secret = small_store.credentials
    monkeypatch.setenv("SHOPGUARD_CONSUMER_KEY", key)
    monkeypatch.setenv("SHOPGUARD_CONSUMER_SECRET", secret)
    data_dir = str(tmp_path / "profile")
    assert main(["sync", "--url", small_store.url, "--data-dir", data_dir]) == 0
    capsys.readouterr()

    assert main(["pending-outcomes", "--json", "--data-dir", data_dir]) == 0
    pending = json.loads(capsys.readouterr().out)
    assert pending and {p["status"] for p in pending} <= {"failed", "refunded"}
    assert set(pending[0]) == {
        "store",
        "number",
        "woo_id",
        "status",
        "date_created_gmt",
        "total",
        "currency",
    }
    number = pending[0]["number"]

    assert main(["outcome", number, "refused", "--data-dir", data_dir]) == 0
    assert f"Order {number} is marked refused." in capsys.readouterr().out
    assert main(["pending-outcomes", "--json", "--data-dir", data_dir]) == 0
    after = json.loads(capsys.readouterr().out)
    assert number not in {p["number"] for p in after} and len(after) == len(pending) - 1

    assert (
        main(["outcome", f"#{number}", "undo", "--store", small_store.url, "--data-dir", data_dir])
        == 0
    )
    assert "undone" in capsys.readouterr().out
    assert main(["pending-outcomes", "--data-dir", data_dir]) == 0
    text = capsys.readouterr().out
    assert f"{len(pending)} order(s) wait" in text and "shopguard outcome ORDER_NUMBER" in text

    assert main(["outcome", "999999", "delivered", "--data-dir", data_dir]) == 1
    err = capsys.readouterr().err
    assert "No order numbered 999999" in err and "shopguard sync --url" in err
    assert (
        main(
            [
                "outcome",
                number,
                "delivered",
                "--store",
                "https://other.example",
                "--data-dir",
                data_dir,
            ]
        )
        == 1
    )
    assert "No orders are kept for https://other.example" in capsys.readouterr().err


def test_outcome_commands_are_in_the_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "outcome" in result.stdout and "pending-outcomes" in result.stdout
    detail = run("outcome", "--help")
    assert "delivered,failed,refused,returned,cancelled,undo" in detail.stdout
    assert run("outcome", "12", "lost").returncode == 2  # argparse names the choices


def test_demo_says_it_does_not_use_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shopguard.app

    opened: list[bool] = []
    monkeypatch.setattr(shopguard.app, "run_gui", lambda paths, demo: opened.append(demo) or 0)
    assert main(["--demo", "--data-dir", str(tmp_path / "mine")]) == 0
    assert opened == [True]
    assert "--data-dir is not used" in capsys.readouterr().err
    assert not (tmp_path / "mine").exists()
