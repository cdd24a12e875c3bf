"""``shopguard-server`` as an operator runs it: real subprocesses on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopguard.server.cli import main
from shopguard.server.db import create_db_engine
from shopguard.server.main import create_app
from shopguard.server.models import OperatorEntry
from shopguard.server.settings import Pepper, ServerSettings
from tests.server.helpers import ShopKey, SignedClient, identifiers, order

PEPPER_HEX = bytes(range(32)).hex()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    return subprocess.run(
        [sys.executable, "-m", "shopguard.server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    return ["--database-url", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]


def test_create_list_revoke_and_rotate(db: list[str]) -> None:
    created = run("create-shop", "--name", "Corner Shop", *db)
    assert created.returncode == 0, created.stderr
    shop = json.loads(created.stdout)
    assert set(shop) == {"shop_id", "secret"} and len(shop["secret"]) >= 40
    listed = run("list-shops", *db)
    assert listed.returncode == 0
    [entry] = json.loads(listed.stdout)
    assert entry["shop_id"] == shop["shop_id"] and entry["name"] == "Corner Shop"
    assert entry["revoked"] is False and "secret" not in entry
    assert shop["secret"] not in listed.stdout
    revoked = run("revoke-shop", shop["shop_id"], *db)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout


def test_rotate_secret_and_revoked_listing(
    db: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    shop = json.loads(cli(capsys, "create-shop", "--name", "S", *db)[1])
    code, out, _ = cli(capsys, "rotate-secret", shop["shop_id"], *db)
    assert code == 0 and json.loads(out)["secret"] != shop["secret"]
    assert cli(capsys, "revoke-shop", shop["shop_id"], *db)[0] == 0
    assert json.loads(cli(capsys, "list-shops", *db)[1])[0]["revoked"] is True
    code, _, err = cli(capsys, "rotate-secret", shop["shop_id"], *db)
    assert code == 1 and "revoked" in err


def test_errors_are_one_line_with_exit_codes(db: list[str], tmp_path: Path) -> None:
    unknown = run("revoke-shop", "shop_nope", *db)
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "shopguard-server: error: There is no shop shop_nope."
    ]
    no_pepper = run("serve", *db)
    assert no_pepper.returncode == 2 and "No pepper" in no_pepper.stderr
    public = run("serve", "--host", "0.0.0.0", "--dev", "--data-dir", str(tmp_path), *db)
    assert public.returncode == 2 and "--behind-tls-proxy" in public.stderr


def test_more_refusals(db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["no-such-command"])
    assert usage.value.code == 2
    assert cli(capsys, "subject-export", "--email-digest", "abc", *db)[0] == 2
    assert cli(capsys, "subject-export", "--email-digest", "ab" * 32, *db)[0] == 2  # no pepper
    assert cli(capsys, "dispute", "--shop-id", "x", "--order-id", "1", "--remove", *db)[0] == 1
    code, _, err = cli(capsys, "create-shop", "--name", "  ", *db)
    assert code == 1 and "name" in err


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI in this process (faster than a subprocess for the longer stories)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_subject_export_dispute_and_purge(
    db: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPGUARD_PEPPER", PEPPER_HEX)
    shop = json.loads(cli(capsys, "create-shop", "--name", "A", *db)[1])
    other = json.loads(cli(capsys, "create-shop", "--name", "B", *db)[1])
    app = create_app(ServerSettings(db[1], Pepper(bytes(range(32))), maintenance_seconds=0))
    with TestClient(app) as client:
        signed = SignedClient(client, ShopKey(shop["shop_id"], shop["secret"]))
        signed.score(order(1), order(2, "bob"))
        SignedClient(client, ShopKey(other["shop_id"], other["secret"])).score(order(8))
    email = identifiers("anna")["email"]
    code, out, err = cli(capsys, "subject-export", "--email-digest", email, *db)
    assert code == 0, err
    records = json.loads(out)["records"]
    assert sorted((r["shop_id"], r["order_id"]) for r in records) == sorted(
        [(shop["shop_id"], "1"), (other["shop_id"], "8")]
    )
    monkeypatch.setenv("SHOPGUARD_PEPPER", "ab" * 32)
    assert (
        json.loads(cli(capsys, "subject-export", "--email-digest", email, *db)[1])["records"] == []
    )
    monkeypatch.setenv("SHOPGUARD_PEPPER", PEPPER_HEX)
    note = "Customer says the parcel never came"
    args = ("dispute", "--shop-id", other["shop_id"], "--order-id", "8")
    code, out, err = cli(capsys, *args, "--note", note, *db)
    assert code == 0 and "annotated" in out, err
    records = json.loads(cli(capsys, "subject-export", "--email-digest", email, *db)[1])["records"]
    assert [r["dispute_note"] for r in records if r["order_id"] == "8"] == [note]
    assert cli(capsys, *args, "--remove", *db)[0] == 0
    assert cli(capsys, *args, "--remove", *db)[0] == 1  # gone
    code, out, _ = cli(capsys, "purge", *db)
    assert code == 0 and json.loads(out)["orders"] == 0
    with Session(create_db_engine(db[1])) as session:
        actions = [e.action for e in session.scalars(select(OperatorEntry))]
        logged = " ".join(e.detail for e in session.scalars(select(OperatorEntry)))
    assert actions.count("dispute.annotate") == 1 and actions.count("dispute.remove") == 1
    assert actions.count("subject.export") == 3
    assert email not in logged
