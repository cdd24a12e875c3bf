"""A real ``shopguard-server serve --dev`` on loopback, with one member shop, for tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests


def free_port() -> int:
    """A TCP port nothing listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunningServer:
    """A running service: its address, the member shop's id and secret, and its database."""

    url: str
    shop_id: str
    secret: str
    database: list[str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run an operator command (``revoke-shop``, ``rotate-secret``) on its database."""
        return run_server_cli(*args, *self.database)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}


def run_server_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``shopguard-server ARGS`` in a child process (no SHOPGUARD_ variables leak in)."""
    return subprocess.run(
        [sys.executable, "-m", "shopguard.server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        check=False,
    )


def database_args(folder: Path) -> list[str]:
    """The CLI arguments for a fresh SQLite service database in ``folder``."""
    return ["--database-url", f"sqlite:///{folder / 'service.sqlite3'}", "--data-dir", str(folder)]


@contextmanager
def serving(
    arguments: list[str], *, dev: bool = True, environment: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``shopguard-server serve [--dev] ARGUMENTS`` (its database and any other options) on
    a free loopback port, with ``environment`` added to this one's (no SHOPGUARD_ variables
    leak in); yields its URL once it answers, and stops it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "shopguard.server.cli", "serve", *(["--dev"] * dev)]
    process = subprocess.Popen(
        [*command, "--port", str(port), *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**_env(), **(environment or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, "the scoring service stopped at start-up"
            assert time.monotonic() < deadline, "the scoring service did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def scoring_server(folder: Path, *, name: str = "Test shop") -> Iterator[RunningServer]:
    """Start the service on a free loopback port with a fresh SQLite database in ``folder``
    and one member shop."""
    database = database_args(folder)
    created = run_server_cli("create-shop", "--name", name, *database)
    assert created.returncode == 0, created.stderr
    shop = json.loads(created.stdout)
    with serving(database) as url:
        yield RunningServer(url, str(shop["shop_id"]), str(shop["secret"]), database)
