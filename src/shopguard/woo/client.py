"""The WooCommerce REST API transport: one ``requests.Session`` per store.

Authentication follows WooCommerce's own rules:

* ``https``: HTTP Basic with the consumer key and secret. Some hosts strip the
  ``Authorization`` header before PHP sees it; WooCommerce then answers 401
  ``woocommerce_rest_cannot_view``. The client recognises that answer, retries once with
  the key in the query string (WooCommerce's documented fallback) and, if that works,
  keeps using it and reports ``header_stripped`` so the owner can be told.
* ``http``: OAuth 1.0a one-legged, HMAC-SHA256, signed by oauthlib with the parameters in
  the query string (hosts that strip ``Authorization`` strip OAuth headers too).

Sites on "plain" permalinks have no ``/wp-json/`` path; the client falls back to
``/?rest_route=/wc/v3/...`` the same way.

Reliability: connect and read timeouts; retries with exponential backoff and full jitter on
429/502/503/504, dropped connections and damaged bodies, honouring ``Retry-After``; every
wait and every page fetch can be cancelled through a ``threading.Event``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_QUERY
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth1

from shopguard import __version__
from shopguard.http_headers import http_date, retry_after_seconds
from shopguard.woo.errors import (
    AuthenticationFailed,
    Cancelled,
    InvalidResponse,
    NotJson,
    PermissionDenied,
    RateLimited,
    ReadOnlyKey,
    RequestRejected,
    RequestTimedOut,
    ServerError,
    StoreUnreachable,
    TlsFailure,
    WooCommerceNotFound,
)
from shopguard.woo.failures import (
    KEYS_PAGE,
    Retryable,
    auth_error,
    connection_error,
    dropped,
    redirect_error,
    server_error_message,
    status_error,
)
from shopguard.woo.schemes import plain_http_on_https, tls_on_plain_http
from shopguard.woo.urls import normalize_store_url
from shopguard.woo.wire import (
    error_fields,
    install_redaction,
    int_header,
    json_object,
    safe_params,
)

log = logging.getLogger(__name__)

AuthMode = Literal["auto", "basic", "query", "oauth"]
Permissions = Literal["read", "write", "read_write"]

API_PREFIX = "wc/v3"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 120.0  # seconds; a longer wait is reported instead of slept through
_POLL = 0.05  # seconds between cancel checks while waiting for page futures


@dataclass(frozen=True)
class OrdersPage:
    """One page of ``GET /orders``: the orders as JSON objects and the listing's totals."""

    page: int
    orders: list[dict[str, Any]]
    total: int
    total_pages: int
    server_date: datetime | None = None  # the store's clock (HTTP Date header), if sent


@dataclass(frozen=True)
class ConnectionInfo:
    """What a successful connection test found out."""

    store_url: str
    auth_mode: str
    header_stripped: bool
    permissions: Permissions
    order_count: int
    plain_permalinks: bool = False


@dataclass
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: Any


class WooClient:
    """A WooCommerce REST API v3 client for one store; safe to share between threads."""

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        pool_size: int = 8,
        cancel_event: threading.Event | None = None,
        auth_mode: AuthMode = "auto",
        verify: bool | str = True,
        user_agent: str | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = normalize_store_url(url)
        self._https = self.base_url.startswith("https://")
        self._key = consumer_key.strip()
        self._secret = consumer_secret.strip()
        if not self._key or not self._secret:
            raise AuthenticationFailed(
                f"Enter both the consumer key and the consumer secret from {KEYS_PAGE}."
            )
        self._timeout = timeout
        self._max_retries = max(0, max_retries)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._cancel = cancel_event or threading.Event()
        self._verify = verify
        self._sleep = sleep
        self._lock = threading.Lock()
        self._auto = auth_mode == "auto"
        self._mode: str = ("basic" if self._https else "oauth") if self._auto else auth_mode
        self._plain_permalinks = False
        self._route_checked = False
        self._query_tried = False
        self._query_tentative = False
        self._dropped_before = False
        self.header_stripped = False
        self._oauth = OAuth1(
            self._key,
            client_secret=self._secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            signature_type=SIGNATURE_TYPE_QUERY,
        )
        self._session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers["User-Agent"] = user_agent or (
            f"ShopGuard/{__version__} {requests.utils.default_user_agent()}"
        )
        self._session.headers["Accept"] = "application/json"
        install_redaction()

    # ------------------------------------------------------------------ public API

    @property
    def auth_mode(self) -> str:
        """How requests are authenticated now: ``basic``, ``query`` or ``oauth``."""
        return self._mode

    def check_connection(self) -> ConnectionInfo:
        """Read one order and probe write access, without changing anything.

        The write probe updates order id 0, which never exists: a read/write key gets
        WooCommerce's "Invalid ID." (400), a read-only key "no write permissions" (401).
        """
        first = self.list_orders_page(1, per_page=1)
        permissions: Permissions = "read_write"
        try:
            self._call("PUT", "orders/0", json_body={})
        except ReadOnlyKey:
            permissions = "read"
        except RequestRejected:
            pass  # "Invalid ID." is the answer a read/write key gets
        return ConnectionInfo(
            store_url=self.base_url,
            auth_mode=self._mode,
            header_stripped=self.header_stripped,
            permissions=permissions,
            order_count=first.total,
            plain_permalinks=self._plain_permalinks,
        )

    def list_orders_page(
        self, page: int, *, per_page: int = 100, params: Mapping[str, str] | None = None
    ) -> OrdersPage:
        """One page of orders with the listing's totals."""
        query = dict(params or {})
        query["page"] = str(page)
        query["per_page"] = str(per_page)
        answer = self._call("GET", "orders", params=query)
        if not isinstance(answer.body, list) or not all(isinstance(o, dict) for o in answer.body):
            raise InvalidResponse(
                "The store's order list was not in the form WooCommerce sends. Nothing from it "
                "was saved. A plugin may be changing the REST API's answers."
            )
        total = int_header(answer.headers, "X-WP-Total")
        total_pages = int_header(answer.headers, "X-WP-TotalPages")
        if total is None or total_pages is None:
            # Some caches drop the headers; guess from what is visible.
            more = len(answer.body) >= per_page
            total_pages = page + 1 if more else page
            total = (page - 1) * per_page + len(answer.body) + (1 if more else 0)
        return OrdersPage(
            page=page,
            orders=answer.body,
            total=total,
            total_pages=total_pages,
            server_date=http_date(answer.headers.get("Date")),
        )

    def iter_order_pages(
        self,
        params: Mapping[str, str] | None = None,
        *,
        per_page: int = 100,
        concurrency: int = 4,
        first_page: OrdersPage | None = None,
    ) -> Iterator[OrdersPage]:
        """Every page of the listing, yielded strictly in page order.

        Page 1 comes first (or is passed in); the rest are fetched with at most
        ``concurrency`` requests in flight. Raises ``Cancelled`` promptly when the cancel
        event is set, and the first error of any page.
        """
        first = first_page or self.list_orders_page(1, per_page=per_page, params=params)
        yield first
        last = first.total_pages
        if last <= 1:
            return
        concurrency = max(1, concurrency)
        executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="woo-page")
        pending: dict[int, Future[OrdersPage]] = {}
        next_page = 2
        try:
            wanted = 2
            while wanted <= last:
                while next_page <= last and len(pending) < concurrency:
                    pending[next_page] = executor.submit(
                        self.list_orders_page, next_page, per_page=per_page, params=params
                    )
                    next_page += 1
                page = self._await(pending[wanted])
                del pending[wanted]
                # A listing that grew while we read it: follow it (the caller notices the
                # changed total and decides what to trust).
                last = max(last, page.total_pages)
                yield page
                wanted += 1
        finally:
            for future in pending.values():
                future.cancel()
            executor.shutdown(wait=False, cancel_futures=True)

    def get_order(self, order_id: int) -> dict[str, Any]:
        """One order as WooCommerce sends it."""
        return json_object(self._call("GET", f"orders/{int(order_id)}").body)

    def update_order(self, order_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change fields of an order (status, meta_data, ...); needs a Read/Write key."""
        return json_object(
            self._call("PUT", f"orders/{int(order_id)}", json_body=dict(changes)).body
        )

    def add_order_note(
        self, order_id: int, note: str, *, customer_note: bool = False
    ) -> dict[str, Any]:
        """Add a private (or customer-visible) note to an order; needs a Read/Write key."""
        body = {"note": note, "customer_note": customer_note}
        return json_object(self._call("POST", f"orders/{int(order_id)}/notes", json_body=body).body)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    def __enter__(self) -> WooClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def _call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> _Answer:
        """Send one API call with retries; map every failure to a ``WooError``."""
        attempt = 0
        timeouts = 0
        while True:
            self._check_cancel()
            mode, plain = self._mode, self._plain_permalinks
            try:
                answer = self._send(method, endpoint, params, json_body, mode, plain)
            except Retryable as exc:
                if isinstance(exc.error, RequestTimedOut):
                    timeouts += 1
                # A POST that may have reached the store is not sent twice (no double notes);
                # only "too many requests" is known not to have been processed.
                safe = method != "POST" or isinstance(exc.error, RateLimited)
                if not safe or attempt >= self._max_retries or timeouts > 1:
                    raise exc.error from None
                self._wait(self._delay(attempt, exc.retry_after))
                attempt += 1
                continue
            if answer.status < 400:
                self._confirm(mode)
                return answer
            retry = self._handle_error(answer, method, endpoint, mode, plain)
            if retry:
                continue
            raise AssertionError("unreachable")  # pragma: no cover - _handle_error raises

    def _send(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        mode: str,
        plain: bool,
    ) -> _Answer:
        query: dict[str, str] = {}
        if plain:
            # index.php, not "/": WooCommerce signs OAuth against home_url(path), which
            # for "/" has no trailing slash while every OAuth library adds one.
            url = self.base_url + "/index.php"
            query["rest_route"] = f"/{API_PREFIX}/{endpoint}"
        else:
            url = f"{self.base_url}/wp-json/{API_PREFIX}/{endpoint}"
        query.update(params or {})
        auth: Any = None
        if mode == "basic":
            auth = (self._key, self._secret)
        elif mode == "query":
            query["consumer_key"] = self._key
            query["consumer_secret"] = self._secret
        elif mode == "oauth":
            auth = self._oauth
        log.debug("%s %s %s", method, endpoint, safe_params(query))
        try:
            response = self._session.request(
                method,
                url,
                params=query,
                json=json_body,
                auth=auth,
                timeout=self._timeout,
                verify=self._verify,
                # Never follow: a redirect would carry the key to another address, or lead
                # to a login page. Say where the store went instead.
                allow_redirects=False,
            )
            raw = response.content
        except requests.exceptions.SSLError as exc:
            raise plain_http_on_https(exc, self.base_url) or TlsFailure(
                f"The security certificate of {self._host} could not be verified (expired, "
                "self-signed or issued for another name). ShopGuard will not send your key "
                "over it. Ask your host to renew or fix the certificate."
            ) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout):
            raise Retryable(RequestTimedOut()) from None
        except requests.exceptions.ConnectionError as exc:
            failure = connection_error(exc, self._host)
            if isinstance(failure, Retryable):
                failure = tls_on_plain_http(exc, self.base_url, probe=self._first_drop()) or failure
            raise failure from None
        except requests.exceptions.ChunkedEncodingError:
            raise Retryable(dropped()) from None
        except requests.exceptions.ContentDecodingError:
            raise Retryable(InvalidResponse()) from None
        except requests.exceptions.RequestException:
            raise StoreUnreachable(
                f"ShopGuard could not talk to {self._host}. Check the address and your "
                "internet connection, then try again."
            ) from None
        status = response.status_code
        if 300 <= status < 400:
            raise redirect_error(self.base_url, response.headers.get("Location", ""))
        if status in RETRY_STATUSES:
            error = status_error(status, self._host)
            raise Retryable(error, retry_after_seconds(response.headers.get("Retry-After")))
        body = self._decode(response, raw)
        return _Answer(status, response.headers, body)

    def _decode(self, response: requests.Response, raw: bytes) -> Any:
        content_type = response.headers.get("Content-Type", "").lower()
        text_start = raw.lstrip()[:1]
        if "html" in content_type or text_start == b"<":
            if response.status_code == 404:
                return _HTML_404
            if response.status_code >= 500:
                raise ServerError(server_error_message(response.status_code, self._host))
            raise NotJson(status=response.status_code)
        if not raw.strip():
            if response.status_code >= 400:
                return None
            raise Retryable(InvalidResponse())
        try:
            return json.loads(raw)
        except ValueError:
            raise Retryable(InvalidResponse()) from None

    def _handle_error(
        self, answer: _Answer, method: str, endpoint: str, mode: str, plain: bool
    ) -> bool:
        """Raise the ``WooError`` for an error answer, or return True to try again."""
        status = answer.status
        code, server_message = error_fields(answer.body)
        if status == 401 and code == "woocommerce_rest_cannot_view" and self._auto:
            if mode == "basic" and self._switch_to_query():
                return True
            if mode == "query" and self._query_tentative:
                self._revert_to_basic()
        if status == 401:
            raise auth_error(code, server_message, mode, auto=self._auto)
        if status == 403:
            raise PermissionDenied(
                "The key works, but the WordPress user it belongs to may not see orders. "
                f"Create the key in {KEYS_PAGE} for an Administrator or Shop manager.",
                status=403,
            )
        if status == 404 and code != "woocommerce_rest_shop_order_invalid_id":
            if not plain and not self._route_checked and self._switch_route():
                return True
            raise WooCommerceNotFound(
                f"No WooCommerce shop answers at {self.base_url}. Check the address, that the "
                "WooCommerce plugin is active, and that Settings → Permalinks is not set to "
                "“Plain”.",
                status=404,
            )
        if status >= 500:
            raise ServerError(server_error_message(status, self._host), status=status)
        detail = f" (WooCommerce said: {server_message})" if server_message else ""
        if status == 404:
            raise RequestRejected(f"That order does not exist in the store{detail}.", status=404)
        raise RequestRejected(
            f"The store refused ShopGuard's request ({status}){detail}. Please report this.",
            status=status,
        )

    def _switch_to_query(self) -> bool:
        """Basic auth was ignored: maybe the host strips the header. Try the query string."""
        with self._lock:
            if self._mode == "basic" and not self._query_tried:
                log.info("The store ignored Basic auth; trying the key in the query string")
                self._mode = "query"
                self._query_tried = True
                self._query_tentative = True
                return True
            return self._mode == "query"  # another thread switched already: retry

    def _revert_to_basic(self) -> None:
        """The query string failed the same way: the key is unknown, the header was fine."""
        with self._lock:
            self._mode = "basic"
            self._query_tentative = False

    def _confirm(self, mode: str) -> None:
        with self._lock:
            self._route_checked = True
            if mode == "query" and self._query_tentative:
                self._query_tentative = False
                self.header_stripped = True

    def _switch_route(self) -> bool:
        with self._lock:
            if self._plain_permalinks:
                return True
            log.info("No /wp-json/ route; trying ?rest_route= (plain permalinks)")
            self._plain_permalinks = True
            self._route_checked = True
            return True

    # ------------------------------------------------------------------ waiting

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER:
                raise RateLimited(
                    f"The store asked ShopGuard to wait {retry_after / 60:.0f} minutes before "
                    "asking again. Sync later; everything fetched so far is saved.",
                    status=429,
                )
            return retry_after
        # Exponential backoff with "full jitter": spreads retries of concurrent pages.
        ceiling = min(self._max_backoff, self._backoff * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
            self._check_cancel()
        elif self._cancel.wait(seconds):
            raise Cancelled()

    def _await(self, future: Future[OrdersPage]) -> OrdersPage:
        while True:
            self._check_cancel()
            done, _ = wait([future], timeout=_POLL, return_when=FIRST_COMPLETED)
            if done:
                return future.result()

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def _first_drop(self) -> bool:
        """True only the first time a connection drops (the scheme is probed once)."""
        with self._lock:
            first, self._dropped_before = not self._dropped_before, True
            return first

    @property
    def _host(self) -> str:
        return urlsplit(self.base_url).netloc


_HTML_404 = {"code": "html_not_found", "message": ""}
