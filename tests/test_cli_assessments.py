"""``shopguard assessments``, ``export`` and ``import-assessment`` as a user runs them:
real processes, a real profile, the files they write read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopguard.assessments.templates import examples


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopguard", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_examples_new_list_export_and_import(tmp_path: Path) -> None:
    data = tmp_path / "profile"
    listed = run(data, "assessments", "examples")
    assert listed.returncode == 0, listed.stderr
    for e in examples():
        assert e.slug in listed.stdout and e.template in listed.stdout

    empty = run(data, "assessments", "list")
    assert "No assessments yet" in empty.stdout

    dpia_slug = next(e.slug for e in examples() if e.template == "ico-dpia")
    new = run(data, "assessments", "new", "--template", "ico-dpia", "--example", dpia_slug)
    assert new.returncode == 0, new.stderr
    dpia_id = int(new.stdout.strip())
    lia = run(data, "assessments", "new", "--template", "ico-lia", "--title", "Newsletter")
    lia_id = int(lia.stdout.strip())

    rows = json.loads(run(data, "assessments", "list", "--json").stdout)
    by_id = {r["id"]: r for r in rows}
    assert by_id[dpia_id]["kind"] == "dpia" and by_id[dpia_id]["status"] == "draft"
    assert by_id[lia_id]["title"] == "Newsletter" and by_id[lia_id]["version"] is None

    exported = tmp_path / "out" / "dpia.json"
    exported.parent.mkdir()
    done = run(data, "export", "dpia", "--json", str(exported))
    assert done.returncode == 0, done.stderr
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["format"] == "shopguard-assessment" and document["template"] == "ico-dpia"

    imported = run(data, "import-assessment", str(exported))
    assert imported.returncode == 0, imported.stderr
    assert int(imported.stdout) not in {dpia_id, lia_id}


def test_export_pdf_writes_a_pdf(tmp_path: Path) -> None:
    pytest.importorskip("PySide6.QtGui")
    data = tmp_path / "profile"
    run(data, "assessments", "new", "--template", "ico-lia")
    pdf = tmp_path / "lia.pdf"
    done = run(data, "export", "lia", "--pdf", str(pdf))
    assert done.returncode == 0, done.stderr
    assert "the draft, not completed yet" in done.stdout
    assert pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "lia", "--json", "x.json"), "There is no LIA yet"),
        (("assessments", "new", "--template", "ico-lia", "--example", "nope"), "no worked example"),
        (("export", "dpia", "--assessment", "7", "--json", "x.json"), "no assessment 7"),
    ],
)
def test_failures_say_what_to_do(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run(tmp_path / "profile", *args)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_wrong_kind_and_bad_files(tmp_path: Path) -> None:
    data = tmp_path / "profile"
    lia_id = run(data, "assessments", "new", "--template", "ico-lia").stdout.strip()
    wrong = run(data, "export", "dpia", "--assessment", lia_id, "--json", str(tmp_path / "a.json"))
    assert wrong.returncode == 1 and "is an LIA, not a DPIA" in wrong.stderr

    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello", encoding="utf-8")
    refused = run(data, "import-assessment", str(not_json))
    assert refused.returncode == 1 and "is not a JSON file" in refused.stderr
    missing = run(data, "import-assessment", str(tmp_path / "nothing.json"))
    assert missing.returncode == 1 and "Could not read" in missing.stderr
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"answers": {}}), encoding="utf-8")
    refused = run(data, "import-assessment", str(foreign))
    assert "not a ShopGuard assessment export" in refused.stderr


@pytest.mark.parametrize("kind", ["--pdf", "--json"])
def test_export_never_creates_a_folder(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "profile"
    run(data, "assessments", "new", "--template", "ico-dpia")
    typo = tmp_path / "Dokuments" / "sub" / "dpia.out"
    missing = run(data, "export", "dpia", kind, str(typo))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert f"the folder {typo.parent} does not exist" in missing.stderr
    assert not (tmp_path / "Dokuments").exists()

    notes = tmp_path / "f.txt"
    notes.write_text("notes", encoding="utf-8")
    blocked = run(data, "export", "dpia", kind, str(notes / "dpia.out"))
    assert blocked.returncode == 1
    assert f"{notes} is a file, not a folder" in blocked.stderr
    assert "File exists" not in blocked.stderr
    assert notes.read_text(encoding="utf-8") == "notes"


def test_an_export_naming_no_template_is_called_incomplete(tmp_path: Path) -> None:
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(
        json.dumps({"format": "shopguard-assessment", "format_version": 1}), encoding="utf-8"
    )
    result = run(tmp_path / "profile", "import-assessment", str(incomplete))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "This export names no assessment template" in result.stderr
    assert "incomplete" in result.stderr and "'None'" not in result.stderr
    listed = run(tmp_path / "profile", "assessments", "list", "--json")
    assert json.loads(listed.stdout) == []
