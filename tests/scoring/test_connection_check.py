"""Settings' "Test connection" against a real scoring service on loopback, a dead port, a
web server that is not ShopGuard's, and an https server whose certificate is not trusted."""

from __future__ import annotations

import http.server
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopguard.scoring.connection_check import (
    CheckOutcome,
    check_connection,
)
from tests.helpers.scoring_server import RunningServer, free_port, scoring_server


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with scoring_server(tmp_path_factory.mktemp("service")) as running:
        yield running


class _Handler(http.server.BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        status, body = self.answers.get(self.path, (404, b"<html>Not found</html>"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _serve(
    answers: dict[str, tuple[int, bytes]], tls: ssl.SSLContext | None = None
) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("Handler", (_Handler,), {"answers": answers})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    scheme = "https" if tls else "http"
    return server, f"{scheme}://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def other_server() -> Iterator[tuple[dict[str, tuple[int, bytes]], str]]:
    answers: dict[str, tuple[int, bytes]] = {}
    server, url = _serve(answers)
    yield answers, url
    server.shutdown()
    server.server_close()


def test_a_real_service_that_knows_the_shop_is_ok_and_nothing_is_saved(
    service: RunningServer, tmp_path: Path
) -> None:
    before = sorted(tmp_path.iterdir())
    result = check_connection(service.url + "/", f" {service.shop_id} ", service.secret)
    assert result.outcome is CheckOutcome.OK, result.message
    assert result.ok and result.url == service.url
    assert result.max_batch is not None and result.max_batch > 0
    assert "Connected" in result.message and "Nothing is saved" in result.message
    assert service.secret not in result.message
    assert sorted(tmp_path.iterdir()) == before


def test_a_wrong_secret_is_rejected_in_plain_words(service: RunningServer) -> None:
    result = check_connection(service.url, service.shop_id, "not-the-secret")
    assert result.outcome is CheckOutcome.REJECTED
    assert "ask whoever runs the service for a new secret" in result.message
    assert "not-the-secret" not in result.message


def test_a_dead_port_is_unreachable() -> None:
    result = check_connection(f"http://127.0.0.1:{free_port()}", "shop", "secret")
    assert result.outcome is CheckOutcome.UNREACHABLE
    assert "Nothing answered at http://127.0.0.1:" in result.message
    assert "Nothing was saved" in result.message


def test_typing_mistakes_are_caught_before_any_request() -> None:
    remote_http = check_connection("http://score.example", "shop", "secret")
    assert remote_http.outcome is CheckOutcome.INVALID and "https://" in remote_http.message
    assert check_connection("https://score.example", "", "s").outcome is CheckOutcome.INVALID
    assert check_connection("https://score.example", "a b", "s").outcome is CheckOutcome.INVALID
    empty = check_connection("https://score.example", "shop", "  ")
    assert empty.outcome is CheckOutcome.INVALID and "secret" in empty.message


def test_a_web_server_that_is_not_shopguard(
    other_server: tuple[dict[str, tuple[int, bytes]], str],
) -> None:
    answers, url = other_server
    result = check_connection(url, "shop", "secret")
    assert result.outcome is CheckOutcome.NOT_SHOPGUARD
    assert "not a ShopGuard scoring service (HTTP 404)" in result.message

    answers["/v1/health"] = (200, b"<html>hello</html>")
    assert check_connection(url, "shop", "secret").outcome is CheckOutcome.NOT_SHOPGUARD

    # Healthy, but the configuration is not what a ShopGuard service says.
    answers["/v1/health"] = (200, b'{"status": "ok"}')
    answers["/v1/config"] = (200, b'{"hello": "world"}')
    assert check_connection(url, "shop", "secret").outcome is CheckOutcome.NOT_SHOPGUARD


def test_service_errors_and_another_hash_scheme(
    other_server: tuple[dict[str, tuple[int, bytes]], str],
) -> None:
    answers, url = other_server
    answers["/v1/health"] = (200, b'{"status": "ok"}')
    answers["/v1/config"] = (500, b"{}")
    failed = check_connection(url, "shop", "secret")
    assert failed.outcome is CheckOutcome.FAILED and "HTTP 500" in failed.message
    answers["/v1/config"] = (
        200,
        json.dumps({"hash_scheme": "v9", "salt": "ab" * 32, "max_batch": 10}).encode(),
    )
    other = check_connection(url, "shop", "secret")
    assert other.outcome is CheckOutcome.INCOMPATIBLE and "Update ShopGuard" in other.message


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_an_untrusted_certificate_is_a_tls_problem(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server, url = _serve({"/v1/health": (200, b'{"status": "ok"}')}, context)
    try:
        result = check_connection(url, "shop", "secret")
    finally:
        server.shutdown()
        server.server_close()
    assert result.outcome is CheckOutcome.TLS
    assert "certificate could not be verified" in result.message


def test_a_revoked_shop_is_rejected(tmp_path: Path) -> None:
    with scoring_server(tmp_path) as running:
        assert check_connection(running.url, running.shop_id, running.secret).ok
        revoked = running.cli("revoke-shop", running.shop_id)
        assert revoked.returncode == 0, revoked.stderr
        result = check_connection(running.url, running.shop_id, running.secret)
    assert result.outcome is CheckOutcome.REJECTED
    assert "new secret" in result.message
