"""The ``shopguard`` command when the profile itself is in the way: the data folder is a
file, or the database file is damaged. Real processes, one line of advice, no traceback."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from shopguard.paths import ProfileError, resolve_paths
from tests.test_cli import run

_COMMANDS = [
    ["orders", "--json"],
    ["score"],
    ["push"],
    ["service", "show"],
    ["assessments", "list"],
    ["pending-outcomes"],
    ["outcome", "1473", "refused"],
    ["sync", "--url", "http://127.0.0.1:9"],
]


@pytest.mark.parametrize("command", _COMMANDS, ids=lambda c: c[0])
def test_a_data_dir_that_is_a_file_is_explained(command: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder\n")
    env = dict(os.environ, SHOPGUARD_CONSUMER_KEY="ck_x", SHOPGUARD_CONSUMER_SECRET="cs_y")
    result = run("--data-dir", str(blocker), *command, env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{blocker} is a file, not a folder" in lines[0]
    assert "--data-dir" in lines[0] and "move that file away" in lines[0]
    assert blocker.read_text() == "not a folder\n"


def test_doctor_says_the_data_folder_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = run("doctor", "--data-dir", str(blocker), env=env)
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if "Data folder" in x)
    assert line.startswith("[FIX]") and f"{blocker} is a file, not a folder" in line
    assert "disk space" not in line


def test_a_file_inside_the_profile_is_named(tmp_path: Path) -> None:
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "config").write_text("")
    with pytest.raises(ProfileError) as caught:
        resolve_paths(tmp_path / "profile").ensure()
    assert f"{tmp_path / 'profile' / 'config'} is a file" in caught.value.message


def test_a_damaged_database_is_explained_and_left_untouched(tmp_path: Path) -> None:
    database = tmp_path / "data" / "shopguard.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"This is a spreadsheet, not a database.\n" * 100)
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    for command in (["orders", "--json"], ["score"], ["service", "show"]):
        result = run("--data-dir", str(tmp_path), *command)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"The database file {database} cannot be read" in lines[0]
        assert "damaged, or it is not a ShopGuard database" in lines[0]
        assert "left it untouched" in lines[0]
        assert "shopguard doctor" in lines[0] and "backup" in lines[0]
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in database.parent.iterdir()) == ["shopguard.sqlite3"]

    offscreen = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    doctor = run("doctor", "--data-dir", str(tmp_path), env=offscreen)
    line = next(x for x in doctor.stdout.splitlines() if "Database" in x)
    assert line.startswith("[FIX]") and "left it untouched" in line and "backup" in line


def test_the_backup_made_before_an_upgrade_is_named(tmp_path: Path) -> None:
    database = tmp_path / "data" / "shopguard.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"\0" * 4096 + b"garbage")
    backup = database.with_name("shopguard.sqlite3.0009.bak")
    backup.write_bytes(b"")
    result = run("--data-dir", str(tmp_path), "orders", "--json")
    assert result.returncode == 1
    assert str(backup) in result.stderr
