"""The assessment PDF's metadata: title, author, subject, a stable id and the XMP packet.

Qt-free. Qt writes the Info dictionary (title, author, creator, producer, dates); the XMP
packet, which ``pdf`` hands to Qt whole, repeats those and adds the subject, the document
id and the PDF/A-1b identification (``pdfaid:part`` 1, ``pdfaid:conformance`` B).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape as xml_escape

from shopguard import __version__
from shopguard.assessments.document import Document
from shopguard.assessments.pdf_html import kind_name, version_text

CREATOR = f"ShopGuard {__version__}"


def metadata(document: Document) -> tuple[str, str, str]:
    """The PDF's title, author and subject."""
    kind = document.template.kind.upper()
    title = f"{document.title} ({kind}, {version_text(document).lower()})"
    author = document.author or document.organisation
    subject = f"{kind_name(document)} of {document.organisation}"
    return title, author, subject


def document_id(document: Document) -> uuid.UUID:
    """A stable id for the PDF (trailer ID and XMP): the same content gives the same id."""
    canonical = json.dumps(
        {
            "template": [document.template.id, document.template.version],
            "organisation": document.organisation,
            "title": document.title,
            "version": document.version,
            "hash": document.content_hash,
            "answers": document.answers,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:shopguard:assessment:{digest}")


@dataclass(frozen=True)
class Stamp:
    """One moment in the two spellings the PDF needs (Info dictionary and XMP)."""

    pdf: str  # 20250314103200
    xmp: str  # 2025-03-14T10:32:00+02:00


def stamp() -> Stamp:
    """Now, local time, as Qt stamps the Info dictionary when painting begins.

    Stays clear of a second's end so both land in the same second (``pdf`` checks the
    written date and renders again in the rare case they do not).
    """
    now = datetime.now().astimezone()
    if now.microsecond > 950_000:
        time.sleep((1_000_000 - now.microsecond + 5_000) / 1_000_000)
        now = datetime.now().astimezone()
    offset = now.strftime("%z")  # +0200
    return Stamp(
        pdf=now.strftime("%Y%m%d%H%M%S"),
        xmp=now.strftime("%Y-%m-%dT%H:%M:%S") + f"{offset[:3]}:{offset[3:]}",
    )


def info_date(data: bytes) -> str | None:
    """The Info dictionary's creation date as Qt wrote it (``YYYYMMDDHHMMSS``)."""
    found = re.search(rb"/CreationDate \(D:(\d{14})", data[:4096])
    return found.group(1).decode() if found else None


def xmp(document: Document, moment: str, doc_id: uuid.UUID, producer: str) -> bytes:
    """The XMP packet: title, author, subject, tools, dates, id and PDF/A-1b identification.

    ``moment`` must be the Info dictionary's creation date, in XMP spelling
    (``2025-03-14T10:32:00+02:00``); PDF/A wants the two to agree.
    """
    title, author, subject = (xml_escape(x) for x in metadata(document))
    creator = xml_escape(CREATOR)
    producer = xml_escape(producer)
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    packet = f"""<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="{rdf}">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt></dc:description>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 pdf:Producer="{producer}" pdf:Trapped="False"/>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmp:CreatorTool="{creator}" xmp:CreateDate="{moment}" xmp:ModifyDate="{moment}"
 xmp:MetadataDate="{moment}"/>
<rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
 xmpMM:DocumentID="uuid:{doc_id}" xmpMM:VersionID="1" xmpMM:RenditionClass="default"/>
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
 pdfaid:part="1" pdfaid:conformance="B"/>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>"""
    return packet.encode("utf-8")
