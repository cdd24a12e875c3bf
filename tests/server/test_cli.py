"""``shopguard-server`` as an operator runs it: real subprocesses on a real database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopguard.server.cli import main
from shopguard.server.db import create_db_engine
from shopguard.server.main import create_app
from shopguard.server.migrate import upgrade_database
from shopguard.server.models import ConfigEntry, OperatorEntry
from shopguard.server.services.setup import PEPPER_CHECK_KEY, PepperMismatch
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


@pytest.fixture(autouse=True)
def _own_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No SHOPGUARD_* setting of the machine's, and a default data dir of the test's own."""
    for name in [n for n in os.environ if n.startswith("SHOPGUARD_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    """An existing, empty service database (as ``serve`` or ``create-shop`` leaves it)."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    upgrade_database(url)
    return ["--database-url", url]


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
    # Another pepper is refused, never answered with an empty export.
    monkeypatch.setenv("SHOPGUARD_PEPPER", "ab" * 32)
    code, out, err = cli(capsys, "subject-export", "--email-digest", email, *db)
    assert code == 2 and out == "" and "not the one" in err
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
    assert actions.count("subject.export") == 2  # the refused one did nothing
    assert email not in logged


def test_a_different_pepper_is_refused_and_never_stored(
    db: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other_hex = "cd" * 32
    monkeypatch.setenv("SHOPGUARD_PEPPER", PEPPER_HEX)
    digest = identifiers("anna")["email"]
    assert cli(capsys, "subject-export", "--email-digest", digest, *db)[0] == 0
    with Session(create_db_engine(db[1])) as session:
        stored = {e.key: e.value for e in session.scalars(select(ConfigEntry))}
    # Recorded on first use: a one-way value, not the pepper.
    assert stored[PEPPER_CHECK_KEY] == Pepper.from_hex(PEPPER_HEX).check_value()
    assert PEPPER_HEX not in " ".join(stored.values())
    monkeypatch.setenv("SHOPGUARD_PEPPER", other_hex)
    code, out, err = cli(capsys, "subject-export", "--email-digest", digest, *db)
    assert (code, out) == (2, "") and "not the one" in err
    assert other_hex not in err and PEPPER_HEX not in err
    # serve refuses before it listens or says it serves.
    served = run("serve", "--port", str(_free_port()), *db, env={"SHOPGUARD_PEPPER": other_hex})
    assert served.returncode == 2 and "not the one" in served.stderr
    assert "Serving on" not in served.stderr and "Traceback" not in served.stderr
    with pytest.raises(PepperMismatch):
        create_app(ServerSettings(db[1], Pepper.from_hex(other_hex), maintenance_seconds=0))
    monkeypatch.setenv("SHOPGUARD_PEPPER", PEPPER_HEX)
    assert cli(capsys, "subject-export", "--email-digest", digest, *db)[0] == 0


def test_a_database_without_a_check_value_gets_one(
    db: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(capsys, "create-shop", "--name", "Old", *db)[0] == 0  # no pepper involved
    engine = create_db_engine(db[1])
    with Session(engine) as session:
        assert session.get(ConfigEntry, PEPPER_CHECK_KEY) is None
    monkeypatch.setenv("SHOPGUARD_PEPPER", PEPPER_HEX)
    app = create_app(ServerSettings(db[1], Pepper.from_hex(PEPPER_HEX), maintenance_seconds=0))
    app.state.engine.dispose()
    with Session(engine) as session:
        entry = session.get(ConfigEntry, PEPPER_CHECK_KEY)
        assert entry is not None and entry.value == Pepper.from_hex(PEPPER_HEX).check_value()
    engine.dispose()


def test_subject_export_finds_the_dev_pepper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    digest = ("--email-digest", identifiers("anna")["email"])
    code, _, err = cli(capsys, "subject-export", *digest, "--dev", *data)
    assert code == 2 and "no development pepper" in err and "serve --dev" in err
    dev_file = tmp_path / "dev-pepper"
    dev_file.write_text(PEPPER_HEX + "\n")  # as `serve --dev` leaves it
    assert cli(capsys, "create-shop", "--name", "S", *data)[0] == 0
    code, _, err = cli(capsys, "subject-export", *digest, *data)
    assert code == 2 and f"--pepper-file {dev_file}" in err and "--dev" in err
    code, out, err = cli(capsys, "subject-export", *digest, "--dev", *data)
    assert code == 0 and json.loads(out)["records"] == [], err
    assert PEPPER_HEX not in out + err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_database_out_of_reach_is_said_to_be(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    url = f"postgresql+psycopg://ops:hunter2secret@127.0.0.1:{port}/shopguard"
    listed = run("list-shops", "--database-url", url)
    assert listed.returncode == 1 and listed.stdout == ""
    [line] = listed.stderr.strip().splitlines()  # one line, no traceback
    assert f"Cannot reach the service database at 127.0.0.1:{port}" in line
    assert "hunter2secret" not in line and "upgraded" not in line
    for command in (("create-shop", "--name", "S"), ("serve", "--dev")):
        code, _, err = cli(capsys, *command, "--database-url", url)
        assert code == 1 and "Cannot reach" in err and "hunter2secret" not in err
        assert "Serving on" not in err


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://u:hunter2secret@127.0.0.1/db", "is for mysql"),
        ("postgresql+psycopg2://u:hunter2secret@127.0.0.1/db", "use postgresql+psycopg://"),
        ("postgresql+psycopg://u:hunter2secret@h:port/db", "not a valid URL"),
        ("hunter2secret", "not a valid URL"),
    ],
)
def test_an_unusable_database_url_is_refused(
    url: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (("list-shops",), ("create-shop", "--name", "S"), ("serve", "--dev")):
        code, out, err = cli(capsys, *command, "--database-url", url)
        assert (code, out) == (2, "") and said in err
        assert "sqlite:///" in err and "postgresql+psycopg://" in err
        assert "hunter2secret" not in err


READING_COMMANDS = (
    ("list-shops",),
    ("revoke-shop", "shop_x"),
    ("rotate-secret", "shop_x"),
    ("purge",),
    ("subject-export", "--email-digest", "ab" * 32, "--pepper-file", "p"),
    ("dispute", "--shop-id", "s", "--order-id", "1", "--remove"),
)


def test_a_missing_sqlite_file_is_never_made_by_a_reading_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p").write_text(PEPPER_HEX)
    monkeypatch.chdir(tmp_path)  # for the relative pepper file
    missing = tmp_path / "typo" / "x.db"
    for command in READING_COMMANDS:
        code, out, err = cli(capsys, *command, "--database-url", f"sqlite:///{missing}")
        assert (code, out) == (2, ""), command
        assert f"There is no service database at {missing}" in err and "create-shop" in err
        code, _, err = cli(capsys, *command, "--data-dir", str(tmp_path / "nodata"))
        assert code == 2 and "--data-dir" in err, command
    assert not missing.parent.exists() and not (tmp_path / "nodata").exists()
    # serve and create-shop make a database, but not a missing folder.
    for command in (("create-shop", "--name", "S"), ("serve", "--dev")):
        code, out, err = cli(capsys, *command, "--database-url", f"sqlite:///{missing}")
        assert (code, out) == (2, "") and f"The folder {missing.parent} does not exist" in err
        assert "Serving on" not in err
    assert not missing.parent.exists()
    fresh = tmp_path / "fresh.db"
    assert cli(capsys, "create-shop", "--name", "S", "--database-url", f"sqlite:///{fresh}")[0] == 0
    assert fresh.exists()
    assert cli(capsys, "list-shops", "--database-url", f"sqlite:///{fresh}")[0] == 0
    # The data folder is made (one level) when a database is made in it.
    data = tmp_path / "data"
    assert cli(capsys, "create-shop", "--name", "S", "--data-dir", str(data))[0] == 0
    assert (data / "server.sqlite3").exists()
    code, _, err = cli(capsys, "create-shop", "--name", "S", "--data-dir", str(tmp_path / "a/b"))
    assert code == 2 and f"The folder {tmp_path / 'a'} does not exist" in err


def test_a_data_dir_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    for command in (("list-shops",), ("create-shop", "--name", "S"), ("serve", "--dev")):
        code, out, err = cli(capsys, *command, "--data-dir", str(a_file))
        assert (code, out) == (2, "") and f"The data folder {a_file} is a file" in err
    listed = run("list-shops", "--data-dir", str(a_file))
    assert listed.returncode == 2 and "Traceback" not in listed.stderr
    assert a_file.read_text() == ""


@pytest.mark.parametrize("port", ["0", "65536", "99999", "http"])
def test_a_port_out_of_range_is_a_usage_error(
    port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["serve", "--dev", "--data-dir", str(tmp_path), "--port", port])
    assert usage.value.code == 2
    assert "1 to 65535" in capsys.readouterr().err
    assert not (tmp_path / "server.sqlite3").exists()


def test_a_port_in_use_is_said_before_serving_is(tmp_path: Path) -> None:
    dev = ("--dev", "--data-dir", str(tmp_path), "--port")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        refused = run("serve", *dev, port)
    assert refused.returncode == 1 and "Serving on" not in refused.stderr
    assert "Traceback" not in refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith(f"shopguard-server: error: Port {port} on 127.0.0.1 is already in use")
    assert "--port" in last
    if Path("/proc/net/tcp").exists():  # what holds the port is said where /proc tells
        assert f"in use by process {os.getpid()} " in last


def test_serving_on_is_said_once_it_listens(tmp_path: Path) -> None:
    port = str(_free_port())
    log = tmp_path / "serve.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    command = [sys.executable, "-m", "shopguard.server.cli", "serve", "--dev", "--port", port]
    with log.open("w") as stderr:
        server = subprocess.Popen([*command, "--data-dir", str(tmp_path)], stderr=stderr, env=clean)
    try:
        deadline = time.monotonic() + 60
        while "Serving on" not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=10) as answer:
            assert json.loads(answer.read()) == {"status": "ok"}
        second = run("serve", "--dev", "--data-dir", str(tmp_path), "--port", port)
        assert second.returncode == 1 and "in use by another shopguard-server" in second.stderr
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
