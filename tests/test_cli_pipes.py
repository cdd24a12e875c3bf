"""``shopguard ... | head``: a reader that stops reading ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shopguard.demo.server import DemoStore
from tests.test_cli import run


def _into_a_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``shopguard ARGS`` with stdout a pipe nobody reads any more (like ``| head -2``
    once head has exited): every write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "shopguard", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    data_dir = tmp_path_factory.mktemp("profile")
    with DemoStore(orders=120, seed=6) as store:
        key, secret = store.credentials
        env = dict(os.environ, SHOPGUARD_CONSUMER_KEY=key, SHOPGUARD_CONSUMER_SECRET=secret)
        synced = run("sync", "--url", store.url, "--data-dir", str(data_dir), env=env)
        assert synced.returncode == 0, synced.stderr
    return str(data_dir)


@pytest.mark.parametrize(
    "command",
    [["orders", "--json"], ["pending-outcomes"], ["pending-outcomes", "--json"], ["--help"]],
    ids=" ".join,
)
def test_a_closed_stdout_ends_quietly(command: list[str], profile: str) -> None:
    result = _into_a_closed_pipe(*command, "--data-dir", profile)
    assert result.stderr == ""
    assert result.returncode in (0, 1)


def test_an_empty_listing_into_a_closed_pipe(tmp_path: Path) -> None:
    # Nothing is written before the exit: the failure would come at the final flush.
    result = _into_a_closed_pipe("orders", "--json", "--data-dir", str(tmp_path))
    assert result.stderr == "" and result.returncode == 1
