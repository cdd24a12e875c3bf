"""Documents for the PDF tests and benchmark: a small LIA and a complete DPIA.

The templates are built here with ``parse_template`` (the shipped ones are data files
that change on their own schedule); they use every answer type and both table roles, and
the answers include Greek text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shopguard.assessments.document import Document, Evidence
from shopguard.assessments.templates import Template, parse_template

SOURCE = {
    "publisher": "Information Commissioner's Office",
    "title": "Sample DPIA template",
    "url": "https://ico.org.uk/media/for-organisations/documents/2553993/dpia-template.docx",
    "licence": "Open Government Licence v3.0",
    "credit": "Based on the ICO's sample template. Contains public sector information "
    "licensed under the Open Government Licence v3.0.",
}
PERSON = {"name": "Γιώργος Παπαδόπουλος", "role": "Owner, Αθήνα", "date": "2025-03-14"}
COMPLETED = datetime(2025, 3, 14, 10, 32, tzinfo=UTC)


def lia_template() -> Template:
    """A short LIA: purpose, necessity, balancing, decision, checklist."""
    return parse_template(
        {
            "format": 1,
            "id": "test-lia",
            "kind": "lia",
            "title": "Legitimate interests assessment",
            "version": 1,
            "review_months": 6,
            "source": SOURCE,
            "sections": [
                {
                    "id": "purpose",
                    "title": "Purpose test",
                    "intro": "You need to assess whether there is a legitimate interest.",
                    "questions": [
                        {
                            "id": "why",
                            "prompt": "Why do you want to process the data?",
                            "type": "text",
                        },
                        {"id": "benefit", "prompt": "What benefit do you expect?", "type": "text"},
                        {"id": "third", "prompt": "Do any third parties benefit?", "type": "yesno"},
                        {
                            "id": "unanswered",
                            "prompt": "Are there any wider public benefits?",
                            "type": "text",
                            "required": False,
                        },
                    ],
                },
                {
                    "id": "necessity",
                    "title": "Necessity test",
                    "questions": [
                        {
                            "id": "helps",
                            "prompt": "Will this processing actually help?",
                            "type": "yesno",
                        },
                        {
                            "id": "less",
                            "prompt": "Is there a less intrusive way?",
                            "type": "choice",
                            "options": ["No", "Yes, but it does not work as well", "Yes"],
                        },
                    ],
                },
                {
                    "id": "balancing",
                    "title": "Balancing test",
                    "questions": [
                        {"id": "expect", "prompt": "Would people expect this use?", "type": "text"},
                        {"id": "since", "prompt": "Since when do you do this?", "type": "date"},
                    ],
                },
                {
                    "id": "decision",
                    "title": "Making the decision",
                    "questions": [
                        {
                            "id": "outcome",
                            "prompt": "Can you rely on legitimate interests?",
                            "type": "yesno",
                        },
                        {"id": "by", "prompt": "LIA completed by", "type": "person"},
                        {
                            "id": "checklist",
                            "prompt": "Legitimate interests checklist",
                            "type": "checklist",
                            "items": [
                                {
                                    "id": "checked",
                                    "text": "Legitimate interests is the right basis.",
                                },
                                {
                                    "id": "understand",
                                    "text": "We protect the individual's interests.",
                                },
                                {
                                    "id": "record",
                                    "text": "We did an LIA and kept a record of it.",
                                },
                            ],
                        },
                    ],
                },
            ],
        },
        "test-lia.json",
    )


def lia_document() -> Document:
    """A completed LIA with Greek answers, one suggestion, one unanswered question."""
    template = lia_template()
    answers: dict[str, Any] = {
        "purpose.why": "To email existing customers about similar products (soft opt-in).",
        "purpose.benefit": "Repeat orders from Αθήνα and Θεσσαλονίκη.\n\nFewer abandoned baskets.",
        "purpose.third": False,
        "necessity.helps": True,
        "necessity.less": "Yes, but it does not work as well",
        "balancing.expect": "Yes: they were told at checkout (Γιώργος Παπαδόπουλος).",
        "balancing.since": "2024-11-02",
        "decision.outcome": True,
        "decision.by": PERSON,
        "decision.checklist": ["checked", "record"],
    }
    return Document(
        template=template,
        organisation="Ελληνικά Βότανα Ltd",
        title="Marketing emails to existing customers",
        version=2,
        status="complete",
        completed_at=COMPLETED,
        review_due=date(2025, 9, 14),
        content_hash="3f" * 32,
        answers=answers,
        suggested=frozenset({"balancing.since"}),
        evidence=(
            Evidence("customers", "Customers", "1,204", COMPLETED),
            Evidence("countries", "Countries served", "GR, CY, GB", COMPLETED),
        ),
        prior_consultation=False,
        generated_at=COMPLETED,
        author="Γιώργος Παπαδόπουλος",
    )


def dpia_template() -> Template:
    """The DPIA steps with the screening, the risk register and the measures tables."""
    person_col = {"id": "owner", "title": "Owner", "type": "person"}
    return parse_template(
        {
            "format": 1,
            "id": "test-dpia",
            "kind": "dpia",
            "title": "Data protection impact assessment",
            "version": 1,
            "review_months": 12,
            "source": SOURCE,
            "sections": [
                {
                    "id": "screening",
                    "title": "Do we need a DPIA?",
                    "intro": "Two or more of these criteria means a DPIA is likely needed.",
                    "questions": [
                        {
                            "id": "criteria",
                            "prompt": "Which of these apply to the processing?",
                            "type": "checklist",
                            "items": [
                                {"id": "scoring", "text": "Evaluation or scoring"},
                                {"id": "matching", "text": "Matching or combining datasets"},
                                {"id": "large", "text": "Data processed on a large scale"},
                                {"id": "vulnerable", "text": "Data concerning vulnerable people"},
                            ],
                        }
                    ],
                },
                {
                    "id": "need",
                    "title": "Identify the need for a DPIA",
                    "questions": [
                        {
                            "id": "aims",
                            "prompt": "Explain what the project aims to achieve.",
                            "type": "text",
                        }
                    ],
                },
                {
                    "id": "processing",
                    "title": "Describe the processing",
                    "questions": [
                        {"id": "nature", "prompt": "Nature of the processing", "type": "text"},
                        {"id": "scope", "prompt": "Scope of the processing", "type": "text"},
                        {
                            "id": "recipients",
                            "prompt": "Who receives the data?",
                            "type": "table",
                            "columns": [
                                {"id": "who", "title": "Recipient", "type": "text"},
                                {"id": "what", "title": "What they receive", "type": "text"},
                                {"id": "since", "title": "Since", "type": "date"},
                            ],
                        },
                    ],
                },
                {
                    "id": "risks",
                    "title": "Identify and assess risks",
                    "questions": [
                        {
                            "id": "register",
                            "prompt": "Risks to individuals",
                            "type": "table",
                            "role": "risks",
                            "columns": [
                                {
                                    "id": "description",
                                    "title": "Source of risk and impact",
                                    "type": "text",
                                    "required": True,
                                },
                                {
                                    "id": "likelihood",
                                    "title": "Likelihood of harm",
                                    "type": "choice",
                                    "options": ["Remote", "Possible", "Probable"],
                                },
                                {
                                    "id": "severity",
                                    "title": "Severity of harm",
                                    "type": "choice",
                                    "options": ["Minimal", "Significant", "Severe"],
                                },
                                {
                                    "id": "overall",
                                    "title": "Overall risk",
                                    "type": "choice",
                                    "options": ["Low", "Medium", "High"],
                                },
                                {
                                    "id": "override_reason",
                                    "title": "Reason for override",
                                    "type": "text",
                                },
                            ],
                        }
                    ],
                },
                {
                    "id": "measures",
                    "title": "Identify measures to reduce risk",
                    "questions": [
                        {
                            "id": "plan",
                            "prompt": "Measures against the medium and high risks",
                            "type": "table",
                            "role": "measures",
                            "ref": "risks.register",
                            "columns": [
                                {"id": "risk", "title": "Risk", "type": "risk"},
                                {
                                    "id": "options",
                                    "title": "Options to reduce or eliminate risk",
                                    "type": "text",
                                },
                                {
                                    "id": "effect",
                                    "title": "Effect on risk",
                                    "type": "choice",
                                    "options": ["Eliminated", "Reduced", "Accepted"],
                                },
                                {
                                    "id": "residual",
                                    "title": "Residual risk",
                                    "type": "choice",
                                    "options": ["Low", "Medium", "High"],
                                },
                                {
                                    "id": "approved",
                                    "title": "Measure approved",
                                    "type": "choice",
                                    "options": ["Yes", "No"],
                                },
                                person_col,
                                {"id": "due", "title": "Due", "type": "date"},
                            ],
                        }
                    ],
                },
                {
                    "id": "signoff",
                    "title": "Sign off and record outcomes",
                    "questions": [
                        {"id": "measures_by", "prompt": "Measures approved by", "type": "person"},
                        {
                            "id": "residual_by",
                            "prompt": "Residual risks approved by",
                            "type": "person",
                        },
                        {"id": "dpo_advice", "prompt": "DPO advice provided", "type": "person"},
                        {"id": "dpo_summary", "prompt": "Summary of DPO advice", "type": "text"},
                        {
                            "id": "review_by",
                            "prompt": "This DPIA will be kept under review by",
                            "type": "person",
                        },
                        {
                            "id": "prior_consultation",
                            "prompt": "We will consult the regulator first (Art. 36)",
                            "type": "yesno",
                            "required": False,
                        },
                    ],
                },
            ],
        },
        "test-dpia.json",
    )


_LIKELIHOODS = ("Remote", "Possible", "Probable")
_SEVERITIES = ("Minimal", "Significant", "Severe")


def dpia_document(n_risks: int = 6, *, high_residual: bool = True) -> Document:
    """A complete DPIA with ``n_risks`` risks (one overridden), a measure per risk."""
    template = dpia_template()
    risks = []
    plan = []
    for n in range(1, n_risks + 1):
        likelihood = _LIKELIHOODS[n % 3]
        severity = _SEVERITIES[(n // 3) % 3]
        row: dict[str, Any] = {
            "id": f"r{n}",
            "description": f"Risk {n}: a hash shared with the scoring service is linked back "
            f"to a customer in Αθήνα (case {n}).",
            "likelihood": likelihood,
            "severity": severity,
        }
        if n == 2:
            row["overall"] = "High"
            row["override_reason"] = "Customers in small villages are easy to re-identify."
        risks.append(row)
        residual = "High" if (high_residual and n == 1) else ("Low" if n % 2 else "Medium")
        plan.append(
            {
                "id": f"m{n}",
                "risk": f"r{n}",
                "options": f"Measure {n}: send only salted hashes and the listed order facts.",
                "effect": "Reduced",
                "residual": residual,
                "approved": "Yes",
                "owner": {"name": "Μαρία Κωνσταντίνου", "role": "Data lead", "date": ""},
                "due": f"2025-{(n % 12) + 1:02d}-15",
            }
        )
    answers: dict[str, Any] = {
        "screening.criteria": ["scoring", "matching", "large"],
        "need.aims": "Score delivery risk across shops with pseudonymised data.",
        "processing.nature": "Order facts are hashed on the shop's computer; only hashes leave it.",
        "processing.scope": "About 1,200 customers in Greece (Αθήνα, Πάτρα) and Cyprus.",
        "processing.recipients": [
            {
                "id": "t1",
                "who": "ShopGuard scoring service",
                "what": "Salted hashes and order facts",
                "since": "2025-01-10",
            }
        ],
        "risks.register": risks,
        "measures.plan": plan,
        "signoff.measures_by": PERSON,
        "signoff.residual_by": {
            "name": "Γιώργος Παπαδόπουλος",
            "role": "Owner",
            "date": "2025-03-14",
        },
        "signoff.dpo_advice": {"name": "Ελένη Γεωργίου", "role": "DPO", "date": "2025-03-12"},
        "signoff.dpo_summary": "Proceed once the measures are in place; consult on R1.",
        "signoff.review_by": PERSON,
        "signoff.prior_consultation": high_residual,
    }
    return Document(
        template=template,
        organisation="Ελληνικά Βότανα Ltd",
        title="Cross-shop delivery-risk scoring",
        version=1,
        status="complete",
        completed_at=COMPLETED,
        review_due=date(2026, 3, 14),
        content_hash="a1b2c3d4" * 8,
        answers=answers,
        suggested=frozenset({"processing.scope", "processing.recipients"}),
        evidence=(
            Evidence("customers", "Customers", "1,204", COMPLETED),
            Evidence("orders", "Orders synced", "8,311", COMPLETED),
            Evidence("last_sync", "Last sync", "14 March 2025, 09:58 UTC", COMPLETED),
        ),
        prior_consultation=high_residual,
        generated_at=COMPLETED,
        author="Γιώργος Παπαδόπουλος",
    )
