"""Assessment templates are data: sections, questions, help text and answer types.

A template is a JSON file under ``shopguard/resources/assessments/templates/``; worked
examples (answers a shop can start from) live beside them under ``examples/``. Both are
validated when loaded, so a broken file fails with a message naming the file and the place
in it, never halfway through a wizard or a PDF.

Answer types and the JSON value each one holds in an assessment:

=============  ===============================================================
``text``       a string
``yesno``      ``true`` / ``false`` (``null`` while unanswered)
``choice``     one of the question's ``options``
``date``       ``"YYYY-MM-DD"``
``person``     ``{"name": str, "role": str, "date": "YYYY-MM-DD"}``
``checklist``  the ids of the ``items`` ticked, in template order
``table``      a list of rows: ``{"id": str, <column id>: value, ...}``; a column has
               one of the types text, choice, date, person or ``risk`` (the id of a
               row of the table question named by ``ref``)
=============  ===============================================================

A table may carry a ``role``: ``risks`` (the DPIA risk register) or ``measures`` (the
measures against them); ``shopguard.assessments.rules`` applies the ICO's rules to them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

AnswerType = Literal["text", "yesno", "choice", "date", "person", "checklist", "table"]
ColumnType = Literal["text", "choice", "date", "person", "risk"]
Kind = Literal["lia", "dpia"]
ANSWER_TYPES: tuple[str, ...] = ("text", "yesno", "choice", "date", "person", "checklist", "table")
COLUMN_TYPES: tuple[str, ...] = ("text", "choice", "date", "person", "risk")
TABLE_ROLES = ("risks", "measures")
FORMAT = 1
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,59}$")


class TemplateError(ValueError):
    """A template or example file is not valid; the message names the file and the place."""


@dataclass(frozen=True)
class Item:
    """One box of a checklist."""

    id: str
    text: str


@dataclass(frozen=True)
class Column:
    """One column of a table question."""

    id: str
    title: str
    type: ColumnType
    options: tuple[str, ...] = ()
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Question:
    """One question; ``key`` (``section.question``) names its answer in an assessment."""

    section: str
    id: str
    prompt: str
    type: AnswerType
    help: str = ""
    required: bool = True
    options: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    columns: tuple[Column, ...] = ()
    role: str = ""
    ref: str = ""  # for a ``risk`` column: the key of the risks table it points into
    suggest: str = ""  # the name of a live-data suggestion (see ``suggestions``)

    @property
    def key(self) -> str:
        """``section.question``: unique within the template."""
        return f"{self.section}.{self.id}"


@dataclass(frozen=True)
class Section:
    """One wizard page and one numbered section of the PDF."""

    id: str
    title: str
    intro: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Source:
    """Where the wording comes from, and the credit its licence asks for."""

    publisher: str
    title: str
    url: str
    licence: str
    credit: str


@dataclass(frozen=True)
class Template:
    """A whole assessment template."""

    id: str
    kind: Kind
    title: str
    description: str
    version: int
    review_months: int
    source: Source
    sections: tuple[Section, ...]

    def questions(self) -> Iterator[Question]:
        """Every question, in order."""
        for section in self.sections:
            yield from section.questions

    def question(self, key: str) -> Question:
        """The question with this ``section.question`` key.

        Raises:
            KeyError: no such question.
        """
        for q in self.questions():
            if q.key == key:
                return q
        raise KeyError(key)

    def table(self, role: str) -> Question | None:
        """The table question with this role (``risks``, ``measures``), if any."""
        return next((q for q in self.questions() if q.role == role), None)


@dataclass(frozen=True)
class Example:
    """A worked example: answers a shop can start an assessment from."""

    slug: str
    template: str
    title: str
    summary: str
    answers: Mapping[str, Any]


def template_ids() -> list[str]:
    """The ids of the shipped templates."""
    return sorted(p.name.removesuffix(".json") for p in _files("templates"))


@cache
def load_template(template_id: str) -> Template:
    """A shipped template, validated.

    Raises:
        TemplateError: no such template, or its file is not valid.
    """
    if not _SLUG.match(template_id):
        raise TemplateError(f"There is no assessment template called {template_id!r}.")
    path = resources.files("shopguard.resources") / "assessments" / "templates"
    entry = path / f"{template_id}.json"
    if not entry.is_file():
        known = ", ".join(template_ids())
        raise TemplateError(f"There is no assessment template {template_id!r} (known: {known}).")
    return parse_template(_read_json(entry.read_text(encoding="utf-8"), entry.name), entry.name)


@cache
def examples() -> tuple[Example, ...]:
    """The shipped worked examples, validated against their templates.

    Raises:
        TemplateError: an example file is not valid.
    """
    out = []
    for entry in sorted(_files("examples"), key=lambda p: p.name):
        data = _read_json(entry.read_text(encoding="utf-8"), entry.name)
        out.append(parse_example(data, entry.name))
    return tuple(out)


def example(slug: str) -> Example:
    """One worked example by slug.

    Raises:
        TemplateError: no such example.
    """
    for e in examples():
        if e.slug == slug:
            return e
    known = ", ".join(e.slug for e in examples())
    raise TemplateError(f"There is no worked example {slug!r} (known: {known}).")


def parse_template(data: Any, name: str = "template") -> Template:
    """Validate template JSON and build a ``Template``.

    Raises:
        TemplateError: naming the file and the place of the first problem.
    """
    where = _Where(name)
    obj = where.object(data)
    if obj.get("format") != FORMAT:
        raise where.error(f"'format' must be {FORMAT}")
    kind = where.text(obj, "kind")
    if kind not in ("lia", "dpia"):
        raise where.error("'kind' must be 'lia' or 'dpia'")
    source_obj = where.object(obj.get("source"), "source")
    source = Source(
        publisher=where.text(source_obj, "publisher", "source"),
        title=where.text(source_obj, "title", "source"),
        url=where.text(source_obj, "url", "source"),
        licence=where.text(source_obj, "licence", "source"),
        credit=where.text(source_obj, "credit", "source"),
    )
    sections = []
    section_ids: set[str] = set()
    for i, raw in enumerate(where.array(obj, "sections")):
        sections.append(_section(where, raw, f"sections[{i}]", section_ids))
    template = Template(
        id=where.slug(obj, "id"),
        kind=kind,  # type: ignore[arg-type]  # checked above
        title=where.text(obj, "title"),
        description=where.text(obj, "description", optional=True),
        version=where.integer(obj, "version"),
        review_months=where.integer(obj, "review_months"),
        source=source,
        sections=tuple(sections),
    )
    _check_references(where, template)
    return template


def parse_example(data: Any, name: str = "example") -> Example:
    """Validate a worked example against its template.

    Raises:
        TemplateError: naming the file and the place of the first problem.
    """
    # Imported here: answers imports this module for the templates.
    from shopguard.assessments.answers import AnswerError, check_answers

    where = _Where(name)
    obj = where.object(data)
    template_id = where.slug(obj, "template")
    try:
        template = load_template(template_id)
    except TemplateError as exc:
        raise where.error(str(exc)) from exc
    answers = where.object(obj.get("answers"), "answers")
    try:
        check_answers(template, answers)
    except AnswerError as exc:
        raise where.error(str(exc)) from exc
    return Example(
        slug=where.slug(obj, "slug"),
        template=template_id,
        title=where.text(obj, "title"),
        summary=where.text(obj, "summary"),
        answers=answers,
    )


def _section(where: _Where, raw: Any, path: str, seen: set[str]) -> Section:
    obj = where.object(raw, path)
    section_id = where.ident(obj, "id", path)
    if section_id in seen:
        raise where.error(f"{path}: section id {section_id!r} is used twice")
    seen.add(section_id)
    questions = []
    question_ids: set[str] = set()
    for i, q in enumerate(where.array(obj, "questions", path)):
        questions.append(_question(where, q, f"{path}.questions[{i}]", section_id, question_ids))
    return Section(
        id=section_id,
        title=where.text(obj, "title", path),
        intro=where.text(obj, "intro", path, optional=True),
        questions=tuple(questions),
    )


def _question(where: _Where, raw: Any, path: str, section: str, seen: set[str]) -> Question:
    obj = where.object(raw, path)
    qid = where.ident(obj, "id", path)
    if qid in seen:
        raise where.error(f"{path}: question id {qid!r} is used twice in this section")
    seen.add(qid)
    qtype = where.text(obj, "type", path)
    if qtype not in ANSWER_TYPES:
        raise where.error(f"{path}: 'type' must be one of {', '.join(ANSWER_TYPES)}")
    options: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    columns: tuple[Column, ...] = ()
    if qtype == "choice":
        options = where.strings(obj, "options", path)
    if qtype == "checklist":
        items = tuple(
            Item(where.ident(i, "id", f"{path}.items"), where.text(i, "text", f"{path}.items"))
            for i in (where.object(x, f"{path}.items") for x in where.array(obj, "items", path))
        )
        if len({i.id for i in items}) != len(items):
            raise where.error(f"{path}: checklist item ids must be unique")
    if qtype == "table":
        columns = tuple(
            _column(where, c, f"{path}.columns[{n}]")
            for n, c in enumerate(where.array(obj, "columns", path))
        )
        if len({c.id for c in columns}) != len(columns) or "id" in {c.id for c in columns}:
            raise where.error(f"{path}: column ids must be unique and not 'id'")
    role = where.text(obj, "role", path, optional=True)
    if role and (qtype != "table" or role not in TABLE_ROLES):
        raise where.error(f"{path}: 'role' is for tables and must be one of {TABLE_ROLES}")
    return Question(
        section=section,
        id=qid,
        prompt=where.text(obj, "prompt", path),
        type=qtype,  # type: ignore[arg-type]  # checked above
        help=where.text(obj, "help", path, optional=True),
        required=bool(obj.get("required", True)),
        options=options,
        items=items,
        columns=columns,
        role=role,
        ref=where.text(obj, "ref", path, optional=True),
        suggest=where.text(obj, "suggest", path, optional=True),
    )


def _column(where: _Where, raw: Any, path: str) -> Column:
    obj = where.object(raw, path)
    ctype = where.text(obj, "type", path)
    if ctype not in COLUMN_TYPES:
        raise where.error(f"{path}: 'type' must be one of {', '.join(COLUMN_TYPES)}")
    return Column(
        id=where.ident(obj, "id", path),
        title=where.text(obj, "title", path),
        type=ctype,  # type: ignore[arg-type]  # checked above
        options=where.strings(obj, "options", path) if ctype == "choice" else (),
        required=bool(obj.get("required", False)),
        help=where.text(obj, "help", path, optional=True),
    )


def _check_references(where: _Where, template: Template) -> None:
    keys = {q.key for q in template.questions()}
    for q in template.questions():
        if any(c.type == "risk" for c in q.columns) and q.ref not in keys:
            raise where.error(f"{q.key}: 'ref' must name the risks table ({q.ref!r} is unknown)")
    roles = [q.role for q in template.questions() if q.role]
    if len(roles) != len(set(roles)):
        raise where.error("each table role may be used once")
    measures = template.table("measures")
    if measures is not None:
        risks = template.table("risks")
        if risks is None or measures.ref != risks.key:
            raise where.error(f"{measures.key}: a measures table must 'ref' the risks table")


class _Where:
    """Typed reads that fail with the file name and the JSON path."""

    def __init__(self, name: str) -> None:
        self.name = name

    def error(self, message: str) -> TemplateError:
        return TemplateError(f"{self.name}: {message}")

    def object(self, value: Any, path: str = "top level") -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(f"{path}: expected an object")
        return value

    def array(self, obj: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
        value = obj.get(key)
        if not isinstance(value, list) or not value:
            raise self.error(f"{_at(path, key)}: expected a non-empty list")
        return value

    def text(
        self, obj: Mapping[str, Any], key: str, path: str = "", *, optional: bool = False
    ) -> str:
        value = obj.get(key, "" if optional else None)
        if not isinstance(value, str) or (not optional and not value.strip()):
            raise self.error(f"{_at(path, key)}: expected text")
        return value

    def strings(self, obj: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        values = self.array(obj, key, path)
        if not all(isinstance(v, str) and v for v in values) or len(set(values)) != len(values):
            raise self.error(f"{_at(path, key)}: expected distinct, non-empty texts")
        return tuple(values)

    def integer(self, obj: Mapping[str, Any], key: str, path: str = "") -> int:
        value = obj.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.error(f"{_at(path, key)}: expected a whole number of at least 1")
        return value

    def ident(self, obj: Any, key: str, path: str) -> str:
        value = self.text(self.object(obj, path), key, path)
        if not _ID.match(value):
            raise self.error(f"{_at(path, key)}: {value!r} is not an id (a-z, 0-9, _)")
        return value

    def slug(self, obj: Mapping[str, Any], key: str) -> str:
        value = self.text(obj, key)
        if not _SLUG.match(value):
            raise self.error(f"{key}: {value!r} is not a slug (a-z, 0-9, -)")
        return value


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _read_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{name}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def _files(folder: str) -> list[Any]:
    root = resources.files("shopguard.resources") / "assessments" / folder
    return [p for p in root.iterdir() if p.name.endswith(".json")]
