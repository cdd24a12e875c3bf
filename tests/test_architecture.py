"""The house rules hold: the core never imports Qt, the UI never reaches past the core."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the test extra"
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Built, not written out, so this file does not match itself.
_MARKERS = tuple("/" + name + "/" for name in ("work", "root", "home"))


def test_no_absolute_paths_of_a_developer_machine() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".cfg", ".ini", ".sh", ".json", ".yml"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(marker in text for marker in _MARKERS):
            offenders.append(name)
    assert offenders == []


def test_only_the_ui_imports_qt_widgets() -> None:
    """PDF rendering in the core may use QtGui, never widgets (import-linter sees only
    the top-level PySide6 package, so this is checked by name). The GUI's entry point
    (app.py) and ui/ are the widget side."""
    package = ROOT / "src" / "shopguard"
    core = {"woo", "store", "privacy", "scoring", "compliance", "assessments", "server", "demo"}
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.relative_to(package).parts[0] in core
        and any(
            widget in path.read_text(encoding="utf-8")
            for widget in ("QtWidgets", "QtPrintSupport", "QtPdfWidgets")
        )
    ]
    assert offenders == []
