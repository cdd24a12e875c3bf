"""WooCommerce's OAuth 1.0a rules and PHP's request parsing, as units."""

from __future__ import annotations

from woocommerce.oauth import OAuth

from shopguard.demo.auth import (
    oauth_base_string,
    oauth_signature,
    parse_oauth_header,
    php_parse_query,
)
from tests.demo.support import wc_signature

VECTOR_URL = "http://localhost:8080/wp-json/wc/v3/orders"
VECTOR_BASE = (
    "GET&http%3A%2F%2Flocalhost%3A8080%2Fwp-json%2Fwc%2Fv3%2Forders&oauth_consumer_key%3Dck_test"
    "%26oauth_nonce%3Dabc123%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp"
    "%3D1700000000%26per_page%3D2"
)


def _vector_params(method: str) -> dict[str, str]:
    return {
        "per_page": "2",
        "oauth_consumer_key": "ck_test",
        "oauth_nonce": "abc123",
        "oauth_signature_method": method,
        "oauth_timestamp": "1700000000",
    }


def test_reference_test_vector() -> None:
    base = oauth_base_string("GET", VECTOR_URL, _vector_params("HMAC-SHA256"))
    assert base == VECTOR_BASE
    assert oauth_signature(base, "cs_test", "HMAC-SHA256") == (
        "aye/eD2tUqQfDEa9d85mngKW+M72FtGhFMhaAXk3Se8="
    )
    sha1_base = oauth_base_string("GET", VECTOR_URL, _vector_params("HMAC-SHA1"))
    assert oauth_signature(sha1_base, "cs_test", "HMAC-SHA1") == "0CYjKCmlhI//xZfwcEgFb+CWmZo="


def test_the_official_client_signs_what_the_store_verifies() -> None:
    oauth = OAuth(
        url=f"{VECTOR_URL}?per_page=20&search=o%27brien&after=2024-05-01T00:00:00",
        consumer_key="ck_test",
        consumer_secret="cs_test",
        version="wc/v3",
        method="GET",
        oauth_timestamp=1700000000,
    )
    signed = php_parse_query(oauth.get_oauth_url().split("?", 1)[1])
    provided = signed.pop("oauth_signature")
    base = oauth_base_string("GET", VECTOR_URL, signed)
    assert oauth_signature(base, "cs_test", "HMAC-SHA256") == provided


def test_arrays_are_signed_with_their_php_indexes() -> None:
    params = php_parse_query("status[]=completed&status[]=processing&per_page=5")
    assert params == {"status": {"0": "completed", "1": "processing"}, "per_page": "5"}
    base = oauth_base_string("GET", "http://h", params)
    assert "status%255B0%255D%3Dcompleted%26status%255B1%255D%3Dprocessing" in base
    independent = wc_signature(
        "GET",
        "http://h",
        [("status[]", "completed"), ("status[]", "processing"), ("per_page", "5")],
        "cs",
    )
    assert oauth_signature(base, "cs", "HMAC-SHA256") == independent


def test_query_strings_parse_like_php() -> None:
    assert php_parse_query("a=1&a=2") == {"a": "2"}  # the last duplicate wins
    assert php_parse_query("x=a+b%2Bc&empty=&flag") == {"x": "a b+c", "empty": "", "flag": ""}
    assert php_parse_query("b.c=1&d e=2") == {"b_c": "1", "d_e": "2"}
    assert php_parse_query("f[k]=v&f[]=w") == {"f": {"k": "v", "0": "w"}}
    assert php_parse_query("g[=1") == {"g_": "1"}
    assert php_parse_query("=nothing&&") == {}


def test_oauth_header_parsing() -> None:
    header = (
        'OAuth realm="x", oauth_consumer_key="ck_1", oauth_nonce="n%2B1",'
        ' oauth_signature="a%2Bb%3D", oauth_version="1.0"'
    )
    assert parse_oauth_header(header) == {
        "oauth_consumer_key": "ck_1",
        "oauth_nonce": "n+1",
        "oauth_signature": "a+b=",
        "oauth_version": "1.0",
    }
    assert parse_oauth_header("Basic Y2s6Y3M=") == {}
