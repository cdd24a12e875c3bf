"""WordPress-isms shared by the demo store: the REST error envelope, JSON as WP encodes it,
and the HTML pages a WordPress site answers outside the REST API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SITE_NAME = "Ελιά & Μέλι Demo Shop"
WC_VERSION = "9.4.0"
WP_VERSION = "6.6.2"


@dataclass
class WpError(Exception):
    """A ``WP_Error`` as the REST API answers it: ``{"code","message","data":{"status"}}``."""

    code: str
    message: str
    status: int
    data: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON envelope."""
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }


def no_route() -> WpError:
    """WordPress's answer for an unknown route or method."""
    return WpError("rest_no_route", "No route was found matching the URL and request method.", 404)


def encode_json(value: Any) -> bytes:
    """JSON the way ``wp_json_encode`` writes it: ``\\uXXXX`` escapes and escaped slashes."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def html_page(title: str, body: str, *, rest_root: str = "") -> bytes:
    """A small theme-like HTML page; announces the REST root like WordPress does."""
    link = f'<link rel="https://api.w.org/" href="{rest_root}" />\n' if rest_root else ""
    return (
        '<!DOCTYPE html>\n<html lang="el">\n<head>\n<meta charset="UTF-8" />\n'
        f'<title>{title}</title>\n{link}</head>\n<body class="wp-theme">\n{body}\n'
        "</body>\n</html>\n"
    ).encode()


def not_found_page(rest_root: str) -> bytes:
    """The theme's 404 page (also what ``/wp-json/`` gives on plain permalinks)."""
    return html_page(
        f"Page not found &#8211; {SITE_NAME}",
        "<h1>Oops! That page can&rsquo;t be found.</h1>\n"
        "<p>It looks like nothing was found at this location.</p>",
        rest_root=rest_root,
    )


def home_page(rest_root: str) -> bytes:
    """The shop's front page."""
    return html_page(
        SITE_NAME,
        f"<h1>{SITE_NAME}</h1>\n<p>Olive oil, honey and herbs from Crete.</p>",
        rest_root=rest_root,
    )
