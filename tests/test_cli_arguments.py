"""Arguments argparse checks before any command runs: a clear line, exit code 2."""

from __future__ import annotations

import pytest

from tests.test_cli import run


@pytest.mark.parametrize("port", ["70000", "0", "-1", "http"])
def test_demo_store_refuses_a_port_out_of_range(port: str) -> None:
    result = run("demo-store", "--port", port)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"argument --port: '{port}' is not a port number" in result.stderr
    assert "from 1 to 65535" in result.stderr
