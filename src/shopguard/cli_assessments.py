"""The ``shopguard assessments``, ``export`` and ``import-assessment`` commands.

``assessments examples`` lists the worked examples; ``assessments new`` starts one (prints
its id); ``assessments list`` shows them all; ``export lia|dpia`` writes a version (or the
draft) as PDF or JSON; ``import-assessment`` brings an exported JSON back as a new draft.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shopguard.assessments.service import AssessmentError, AssessmentService, Summary, for_profile
from shopguard.assessments.templates import TemplateError, examples, template_ids
from shopguard.paths import AppPaths, file_in_the_way
from shopguard.store.db import open_database

EXIT_OK = 0
EXIT_FAILED = 1
KINDS = {"lia": "ico-lia", "dpia": "ico-dpia"}
_NAMED = {"lia": "an LIA", "dpia": "a DPIA"}

AddCommon = Callable[[argparse.ArgumentParser], None]


def add_parsers(sub: Any, add_common: AddCommon) -> None:
    """Add the assessment commands to the ``shopguard`` parser's subcommands."""
    assessments = sub.add_parser(
        "assessments", help="legitimate-interests assessments (LIA) and DPIAs"
    )
    actions = assessments.add_subparsers(
        dest="assessments_command", metavar="ACTION", required=True
    )
    listed = actions.add_parser("examples", help="list the worked examples to start from")
    add_common(listed)
    new = actions.add_parser("new", help="start an assessment; prints its id")
    new.add_argument("--template", required=True, choices=template_ids())
    new.add_argument("--example", metavar="SLUG", help="start from this worked example")
    new.add_argument("--title", help="what to call it (default: the template's or example's)")
    add_common(new)
    show = actions.add_parser("list", help="list the assessments and their status")
    show.add_argument("--json", action="store_true", help="as one JSON array")
    add_common(show)

    export = sub.add_parser("export", help="write an assessment as PDF (for a regulator) or JSON")
    export.add_argument("kind", choices=sorted(KINDS), help="which kind of assessment")
    export.add_argument(
        "--assessment", type=int, metavar="ID", help="which one (default: the newest of the kind)"
    )
    export.add_argument(
        "--version", type=int, metavar="N", help="which completed version (default: the latest)"
    )
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--pdf", metavar="FILE", type=Path, help="write a PDF/A file")
    target.add_argument("--json", metavar="FILE", type=Path, help="write a JSON file")
    add_common(export)

    imported = sub.add_parser(
        "import-assessment", help="add an exported assessment (JSON) as a new draft"
    )
    imported.add_argument("file", type=Path)
    add_common(imported)


def cmd_assessments(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard assessments examples|new|list``."""
    if args.assessments_command == "examples":
        try:
            for e in examples():
                print(f"{e.slug:<24} {e.template:<10} {e.title}")
        except TemplateError as exc:
            return _fail(str(exc))
        return EXIT_OK
    service = _service(paths)
    try:
        if args.assessments_command == "new":
            new_id = service.create(args.template, example_slug=args.example, title=args.title)
            print(new_id)
            return EXIT_OK
        summaries = service.summaries()
    except AssessmentError as exc:
        return _fail(exc.message)
    if args.json:
        print(json.dumps([_summary_json(s) for s in summaries], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not summaries:
        print("No assessments yet. Start one with `shopguard assessments new --template ico-lia`.")
    for s in summaries:
        version = f"v{s.latest_version.number}" if s.latest_version else "-"
        draft = " (draft open)" if s.has_draft and s.latest_version else ""
        print(f"{s.id:>4}  {s.kind.upper():<5} {version:<4} {s.status + draft:<28} {s.title}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard export lia|dpia --pdf FILE | --json FILE``."""
    problem = _unwritable_folder(args.pdf or args.json)
    if problem:
        return _fail(problem)
    service = _service(paths)
    try:
        assessment_id = args.assessment or service.newest(args.kind)
        if assessment_id is None:
            return _fail(
                f"There is no {args.kind.upper()} yet. Start one with `shopguard assessments "
                f"new --template {KINDS[args.kind]}`."
            )
        summary = next((s for s in service.summaries() if s.id == assessment_id), None)
        if summary is not None and summary.kind != args.kind:
            return _fail(
                f"Assessment {assessment_id} is {_NAMED.get(summary.kind, summary.kind)}, not "
                f"{_NAMED[args.kind]}. Run `shopguard export {summary.kind} ...`."
            )
        if args.json:
            data = service.export_json(assessment_id, args.version)
            _write(args.json, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            print(f"Wrote {args.json}")
            return EXIT_OK
        document = service.document(assessment_id, args.version)
    except AssessmentError as exc:
        return _fail(exc.message)
    from shopguard.assessments.pdf import render_pdf  # Qt is loaded only for a PDF.

    try:
        render_pdf(document, args.pdf)
    except OSError as exc:
        return _fail(f"Could not write {args.pdf}: {exc.strerror or exc}.")
    state = f"version {document.version}" if document.version else "the draft, not completed yet"
    print(f"Wrote {args.pdf}: {state}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard import-assessment FILE``."""
    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        return _fail(f"Could not read {args.file}: {exc.strerror or exc}.")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _fail(f"{args.file} is not a JSON file ({exc}).")
    try:
        new_id = _service(paths).import_json(data)
    except AssessmentError as exc:
        return _fail(exc.message)
    print(new_id)
    return EXIT_OK


def _service(paths: AppPaths) -> AssessmentService:
    _engine, sessions = open_database(paths)
    return for_profile(sessions, paths.config)


def _summary_json(s: Summary) -> dict[str, Any]:
    v = s.latest_version
    return {
        "id": s.id,
        "kind": s.kind,
        "template": s.template_id,
        "title": s.title,
        "status": s.status,
        "draft_open": s.has_draft,
        "version": v.number if v else None,
        "completed_at": v.completed_at.isoformat(timespec="seconds") if v else None,
        "review_due": v.review_due.isoformat() if v else None,
        "content_hash": v.content_hash if v else None,
        "updated_at": s.updated_at.isoformat(timespec="seconds"),
    }


def _unwritable_folder(path: Path) -> str:
    """Why ``path`` cannot be written because of its folder ("" if it can be tried): a
    folder is never created, so a typo in a path does not become a new folder."""
    blocking = file_in_the_way(path.parent)
    if blocking is not None:
        return (
            f"Could not write {path}: {blocking} is a file, not a folder. Choose a folder "
            "that exists for the file."
        )
    if not path.parent.is_dir():
        return (
            f"Could not write {path}: the folder {path.parent} does not exist. Check the path "
            "for typos, or create the folder first."
        )
    return ""


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AssessmentError(f"Could not write {path}: {exc.strerror or exc}.") from exc


def _fail(message: str) -> int:
    print(f"shopguard: {message}", file=sys.stderr)
    return EXIT_FAILED
