"""Answers to a template's questions: checking their shape, and what is still missing.

``check_answers`` guards every write (autosave, import, a worked example): a value of the
wrong type is refused with a message naming the question. A draft may be incomplete;
``missing`` lists the required questions without an answer, for the "Complete" check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from shopguard.assessments.templates import Column, Question, Template

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PERSON_FIELDS = ("name", "role", "date")


class AnswerError(ValueError):
    """An answer does not fit its question; the message names the question."""


def check_answers(template: Template, answers: Mapping[str, Any]) -> None:
    """Raise ``AnswerError`` for an unknown key or a value of the wrong shape.

    Unanswered questions may be absent, ``None`` or empty.
    """
    known = {q.key: q for q in template.questions()}
    for key, value in answers.items():
        question = known.get(key)
        if question is None:
            raise AnswerError(f"{key}: there is no such question in {template.title!r}")
        _check(question, value)
    for question in known.values():
        if question.type == "table" and question.ref:
            _check_refs(question, answers.get(question.key), answers.get(question.ref))


def is_answered(question: Question, value: Any) -> bool:
    """Whether ``value`` counts as an answer (a table needs a row, a person a name)."""
    if value is None:
        return False
    if question.type == "text" or question.type in ("choice", "date"):
        return bool(str(value).strip())
    if question.type == "yesno":
        return isinstance(value, bool)
    if question.type == "person":
        return bool(str(value.get("name", "")).strip())
    return bool(value)  # checklist: something ticked; table: a row


def missing(template: Template, answers: Mapping[str, Any]) -> list[Question]:
    """Required questions without an answer, in template order."""
    return [
        q for q in template.questions() if q.required and not is_answered(q, answers.get(q.key))
    ]


def _check(question: Question, value: Any) -> None:
    if value is None:
        return
    key = question.key
    kind = question.type
    if kind == "text":
        _expect(isinstance(value, str), key, "text")
    elif kind == "yesno":
        _expect(isinstance(value, bool), key, "yes or no")
    elif kind == "choice":
        _expect(value == "" or value in question.options, key, _one_of(question.options))
    elif kind == "date":
        _expect(_is_date(value), key, "a date (YYYY-MM-DD)")
    elif kind == "person":
        _check_person(value, key)
    elif kind == "checklist":
        ids = [i.id for i in question.items]
        ok = isinstance(value, list) and len(set(value)) == len(value)
        _expect(ok and all(v in ids for v in value), key, f"ticked items among {ids}")
    elif kind == "table":
        _check_rows(question, value)


def _check_rows(question: Question, rows: Any) -> None:
    key = question.key
    _expect(isinstance(rows, list), key, "a list of rows")
    seen: set[str] = set()
    columns = {c.id: c for c in question.columns}
    for n, row in enumerate(rows, start=1):
        where = f"{key}, row {n}"
        _expect(isinstance(row, dict), where, "an object")
        row_id = row.get("id")
        fresh = isinstance(row_id, str) and bool(row_id) and row_id not in seen
        _expect(fresh, where, "a unique id")
        seen.add(row_id)
        for column_id, value in row.items():
            if column_id == "id":
                continue
            column = columns.get(column_id)
            if column is None:
                raise AnswerError(f"{where}: there is no column {column_id!r}")
            _check_cell(column, value, f"{where}, {column.title!r}")


def _check_cell(column: Column, value: Any, where: str) -> None:
    if value is None:
        return
    if column.type in ("text", "risk"):
        _expect(isinstance(value, str), where, "text")
    elif column.type == "choice":
        _expect(value == "" or value in column.options, where, _one_of(column.options))
    elif column.type == "date":
        _expect(_is_date(value), where, "a date (YYYY-MM-DD)")
    elif column.type == "person":
        _check_person(value, where)


def _check_refs(question: Question, rows: Any, targets: Any) -> None:
    ids = {r["id"] for r in targets or [] if isinstance(r, dict) and "id" in r}
    for n, row in enumerate(rows or [], start=1):
        for column in question.columns:
            ref = row.get(column.id) if column.type == "risk" else None
            if ref and ref not in ids:
                raise AnswerError(
                    f"{question.key}, row {n}: {column.title!r} points to a risk that is not in "
                    "the risk register"
                )


def _check_person(value: Any, where: str) -> None:
    _expect(isinstance(value, dict), where, "a name, role and date")
    unknown = set(value) - set(PERSON_FIELDS)
    _expect(not unknown, where, f"only {', '.join(PERSON_FIELDS)}")
    _expect(all(isinstance(value.get(f, ""), str) for f in PERSON_FIELDS), where, "texts")
    _expect(_is_date(value.get("date", "")), where, "a date (YYYY-MM-DD) or none")


def _is_date(value: Any) -> bool:
    if value == "":
        return True
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _one_of(options: tuple[str, ...]) -> str:
    return "one of " + ", ".join(repr(o) for o in options)


def _expect(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise AnswerError(f"{where}: expected {what}")
