"""WooCommerce REST API authentication, as ``class-wc-rest-authentication.php`` does it.

* Only ``wc/`` routes are authenticated here.
* Over TLS, HTTP Basic first: ``consumer_key``/``consumer_secret`` in the query string win
  over the ``Authorization: Basic`` header. An unknown key is silently ignored (the request
  goes on unauthenticated); a known key with a wrong secret is an error.
* Then, if nobody is authenticated yet (over http always), OAuth 1.0a one-legged with the
  parameters from the query string (and form body) merged with ``oauth_*`` parameters from an
  ``Authorization: OAuth`` header. Over plain http Basic and query keys are never looked at.

The OAuth base string follows WooCommerce, not RFC 5849: parameters are parsed like PHP's
``$_GET`` (duplicates: the last wins; ``a[]=x`` makes arrays), sorted by raw key with
``strcmp``, every key and value ``rawurlencode``d, each ``key=value`` pair encoded again, and
the URL is the site's home URL plus the request path (for ``/?rest_route=...`` that is the
bare home URL, without a trailing slash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, unquote, unquote_plus

from shopguard.demo.wp import WpError

Permissions = Literal["read", "write", "read_write"]
AuthMethod = Literal["basic", "query", "oauth", "none"]
NONCE_WINDOW = 15 * 60
_REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))')
BASIC_REALM = (
    'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer '
    'secret in the password field."'
)


# ---------------------------------------------------------------- PHP-compatible helpers


def rawurlencode(value: str) -> str:
    """PHP's ``rawurlencode``: RFC 3986, only ``A-Za-z0-9-_.~`` left as they are."""
    return quote(value, safe="")


def _assign(target: dict[str, Any], name: str, value: str) -> None:
    """Store one ``name=value`` pair the way PHP registers a request variable."""
    name = name.lstrip(" ")
    bracket = name.find("[")
    indexes: list[str] = []
    if bracket < 0:
        base = name.replace(" ", "_").replace(".", "_")
    elif "]" not in name[bracket:]:
        # An unterminated "[" is no array: PHP makes it "_" and keeps the rest as it is.
        base = name[:bracket].replace(" ", "_").replace(".", "_") + "_" + name[bracket + 1 :]
    else:
        base = name[:bracket].replace(" ", "_").replace(".", "_")
        indexes = _leading_indexes(name[bracket:])
    if not base:
        return
    keys = [base, *indexes]
    current = target
    for depth, key in enumerate(keys):
        if key == "" and depth > 0:
            key = str(_next_index(current))
        if depth == len(keys) - 1:
            current[key] = value
            return
        child = current.get(key)
        if not isinstance(child, dict):
            child = {}
            current[key] = child
        current = child


def _leading_indexes(rest: str) -> list[str]:
    """``[a][b]junk`` -> ``["a", "b"]`` (PHP ignores what follows the last bracket pair)."""
    indexes = []
    while rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            break
        indexes.append(rest[1:end])
        rest = rest[end + 1 :]
    return indexes


def _next_index(array: Mapping[str, Any]) -> int:
    numbers = [int(k) for k in array if k.isdigit() or (k.startswith("-") and k[1:].isdigit())]
    return max(numbers) + 1 if numbers and max(numbers) >= 0 else 0


def php_parse_query(query: str) -> dict[str, Any]:
    """A query string (or form body) as PHP's ``$_GET``: last duplicate wins, ``a[]`` arrays.

    Array values are dicts (PHP arrays) with string keys in insertion order.
    """
    result: dict[str, Any] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _sep, value = part.partition("=")
        _assign(result, unquote_plus(name), unquote_plus(value))
    return result


def parse_oauth_header(header: str) -> dict[str, str]:
    """The ``oauth_*`` parameters of an ``Authorization: OAuth ...`` header (WC's parser)."""
    header = header.strip()
    if not header.startswith("OAuth "):
        return {}
    params: dict[str, str] = {}
    for match in _HEADER_PARAM.finditer(header):
        quoted, bare = match.group(3), match.group(4)
        params[match.group(1)] = unquote_plus(quoted if quoted else (bare or ""))
    params.pop("realm", None)
    return params


# ---------------------------------------------------------------- OAuth signature


def _join_with_equals_sign(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    pairs: list[str] = []
    for key, value in params.items():
        name = f"{prefix}%5B{key}%5D" if prefix else key
        if isinstance(value, Mapping):
            pairs.extend(_join_with_equals_sign(value, name))
        else:
            pairs.append(rawurlencode(f"{name}={value}"))
    return pairs


def _encode_values(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _encode_values(v) for k, v in value.items()}
    return rawurlencode(str(value))


def oauth_base_string(method: str, url: str, params: Mapping[str, Any]) -> str:
    """The string WooCommerce signs: ``METHOD&enc(url)&enc(sorted, encoded params)``.

    ``params`` are the request's parameters as PHP sees them (see ``php_parse_query``),
    without ``oauth_signature``; ``url`` is the home URL plus the request path, no query.
    """
    normalized = {
        rawurlencode(key): _encode_values(params[key])
        for key in sorted(params, key=lambda k: k.encode())
    }
    query = "%26".join(_join_with_equals_sign(normalized))
    return f"{method.upper()}&{rawurlencode(url)}&{query}"


def oauth_signature(base_string: str, consumer_secret: str, signature_method: str) -> str:
    """Base64 HMAC of the base string with key ``secret&`` (HMAC-SHA1 or HMAC-SHA256)."""
    digest = hashlib.sha256 if signature_method == "HMAC-SHA256" else hashlib.sha1
    mac = hmac.new(f"{consumer_secret}&".encode(), base_string.encode(), digest)
    return base64.b64encode(mac.digest()).decode()


# ---------------------------------------------------------------- the flow


@dataclass(frozen=True)
class ApiKey:
    """A WooCommerce REST API key and the WordPress user it belongs to."""

    consumer_key: str
    consumer_secret: str
    permissions: Permissions
    user_id: int
    can_manage_orders: bool = True


@dataclass
class AuthRequest:
    """What authentication looks at in one request."""

    method: str
    raw_path: str  # the path of the request URI, undecoded ("/" for ?rest_route=)
    get: dict[str, Any]  # PHP-parsed query string
    post: dict[str, Any]  # PHP-parsed form body (POST with a form content type), else {}
    authorization: str  # the Authorization header, "" when absent or stripped


@dataclass
class AuthResult:
    """Who the request is, or why it was refused."""

    key: ApiKey | None
    error: WpError | None


def classify(request: AuthRequest, tls: bool) -> AuthMethod:
    """Which credentials the store will look at: what ``RequestRecord.auth_method`` shows."""
    if (
        tls
        and _nonempty(request.get.get("consumer_key"))
        and _nonempty(request.get.get("consumer_secret"))
    ):
        return "query"
    if tls and request.authorization[:6].lower() == "basic ":
        return "basic"
    if any(name in request.get or name in request.post for name in _REQUIRED):
        return "oauth"
    if parse_oauth_header(request.authorization):
        return "oauth"
    return "none"


def _nonempty(value: Any) -> bool:
    """PHP's ``! empty($value)``."""
    return bool(value) and value != "0"


def _basic_credentials(header: str) -> tuple[str, str]:
    if header[:6].lower() != "basic ":
        return "", ""
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    user, _sep, password = decoded.partition(":")
    return user, password


class Authenticator:
    """Checks keys for one store; remembers OAuth nonces (15 minutes) per key."""

    def __init__(self, keys: list[ApiKey], home_url: str) -> None:
        self._keys = {k.consumer_key: k for k in keys}
        self.home_url = home_url.rstrip("/")
        self._nonces: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def authenticate(self, request: AuthRequest, *, tls: bool) -> AuthResult:
        """Basic (TLS only), then OAuth 1.0a; errors exactly as WooCommerce words them."""
        error: WpError | None = None
        if tls:
            key, error = self._basic(request)
            if key is not None:
                return AuthResult(key, None)
        key, oauth_error = self._oauth(request)
        if key is not None:
            return AuthResult(key, None)
        return AuthResult(None, oauth_error or error)

    def _basic(self, request: AuthRequest) -> tuple[ApiKey | None, WpError | None]:
        consumer_key = consumer_secret = ""
        get_key, get_secret = request.get.get("consumer_key"), request.get.get("consumer_secret")
        if _nonempty(get_key) and _nonempty(get_secret):
            consumer_key, consumer_secret = str(get_key), str(get_secret)
        if not consumer_key:
            user, password = _basic_credentials(request.authorization)
            if _nonempty(user) and _nonempty(password):
                consumer_key, consumer_secret = user, password
        if not consumer_key or not consumer_secret:
            return None, None
        key = self._keys.get(consumer_key.strip())
        if key is None:
            return None, None  # unknown key: no error, the request is simply anonymous
        if not hmac.compare_digest(key.consumer_secret.encode(), consumer_secret.encode()):
            error = WpError(
                "woocommerce_rest_authentication_error",
                "Consumer secret is invalid.",
                401,
                headers={"WWW-Authenticate": BASIC_REALM},
            )
            return None, error
        return key, None

    def _oauth(self, request: AuthRequest) -> tuple[ApiKey | None, WpError | None]:
        params: dict[str, Any] = {**request.get, **request.post}
        params.update(parse_oauth_header(request.authorization))
        missing = [name for name in _REQUIRED if not _nonempty(params.get(name))]
        if len(missing) == len(_REQUIRED):
            return None, None  # not an OAuth attempt
        if missing:
            plural = "s" if len(missing) > 1 else ""
            return None, _auth_error(
                f"Missing OAuth parameter{plural} {', '.join(missing)}",
                code="woocommerce_rest_authentication_missing_parameter",
            )
        key = self._keys.get(str(params["oauth_consumer_key"]).strip())
        if key is None:
            return None, _auth_error("Consumer key is invalid.")
        error = self._check_signature(key, request, params)
        if error is None:
            error = self._check_timestamp_and_nonce(
                key, params["oauth_timestamp"], params["oauth_nonce"]
            )
        return (None, error) if error else (key, None)

    def signed_url(self, raw_path: str) -> str:
        """The URL WooCommerce puts in the base string for a request path."""
        path = raw_path[1:] if raw_path.startswith("/") else raw_path
        return f"{self.home_url}/{path}" if path else self.home_url

    def _check_signature(
        self, key: ApiKey, request: AuthRequest, params: dict[str, Any]
    ) -> WpError | None:
        provided = params.pop("oauth_signature")
        provided = unquote(str(provided).replace(" ", "+"))
        method = params.get("oauth_signature_method")
        base = oauth_base_string(request.method, self.signed_url(request.raw_path), params)
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return _auth_error("Invalid signature - signature method is invalid.")
        expected = oauth_signature(base, key.consumer_secret, str(method))
        if not hmac.compare_digest(expected.encode(), provided.encode()):
            return _auth_error("Invalid signature - provided signature does not match.")
        return None

    def _check_timestamp_and_nonce(self, key: ApiKey, timestamp: Any, nonce: Any) -> WpError | None:
        now = int(time.time())
        try:
            stamp = int(float(str(timestamp)))
        except ValueError:
            stamp = -1
        if not now - NONCE_WINDOW <= stamp <= now + NONCE_WINDOW:
            return _auth_error("Invalid timestamp.")
        with self._lock:
            used = self._nonces.setdefault(key.consumer_key, {})
            for old, seen in list(used.items()):
                if seen < now - NONCE_WINDOW:
                    del used[old]
            if str(nonce) in used:
                return _auth_error("Invalid nonce - nonce has already been used.")
            used[str(nonce)] = stamp
        return None


def _auth_error(message: str, code: str = "woocommerce_rest_authentication_error") -> WpError:
    return WpError(code, message, 401)


def permission_error(key: ApiKey, method: str) -> WpError | None:
    """The key's own read/write permission, checked before any route runs."""
    if method in ("GET", "HEAD"):
        if key.permissions not in ("read", "read_write"):
            return _auth_error("The API key provided does not have read permissions.")
    elif method in ("POST", "PUT", "PATCH", "DELETE"):
        if key.permissions not in ("write", "read_write"):
            return _auth_error("The API key provided does not have write permissions.")
    elif method != "OPTIONS":
        return _auth_error("Unknown request method.")
    return None
