"""The schemathesis run (tests/server/fuzz_openapi.py), in a pytest process of its own.

schemathesis replaces hypothesis' value printer when imported, which would make every other
hypothesis failure in the suite unreadable; this session keeps it out (``-p no:schemathesis``
in pyproject) and runs the fuzzing in a child pytest that loads it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_no_input_gets_a_server_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(HERE / "fuzz_openapi.py"),
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=--strict-markers --strict-config",
            "--basetemp",
            str(tmp_path / "fuzz"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=HERE.parent.parent,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout
