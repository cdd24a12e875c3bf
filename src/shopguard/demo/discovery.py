"""What a client reads to discover the store: the REST index, the ``wc/v3`` namespace index
and ``system_status`` (WooCommerce version, currency). Trimmed to what clients look at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shopguard.demo.wp import SITE_NAME, WC_VERSION, WP_VERSION

_ROUTES: dict[str, list[str]] = {
    "/wc/v3": ["GET"],
    "/wc/v3/orders": ["GET", "POST"],
    "/wc/v3/orders/(?P<id>[\\d]+)": ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/wc/v3/orders/(?P<order_id>[\\d]+)/notes": ["GET", "POST"],
    "/wc/v3/system_status": ["GET"],
}
_CURRENCY_SYMBOLS = {"EUR": "&euro;", "GBP": "&pound;", "USD": "&#36;"}


def site_index(home: str, woocommerce_active: bool) -> dict[str, Any]:
    """``GET /wp-json/``: no authentication needed; lists the namespaces."""
    namespaces = ["oembed/1.0", "wp/v2", "wp-site-health/v1"]
    if woocommerce_active:
        namespaces[1:1] = ["wc/store/v1", "wc/v1", "wc/v2", "wc/v3", "wc-analytics"]
    return {
        "name": SITE_NAME,
        "description": "Olive oil, honey and herbs from Crete",
        "url": home,
        "home": home,
        "gmt_offset": "2",
        "timezone_string": "",
        "namespaces": namespaces,
        "authentication": {
            "application-passwords": {
                "endpoints": {"authorization": f"{home}/wp-admin/authorize-application.php"}
            }
        },
        "routes": {"/": {"namespace": "", "methods": ["GET"]}},
        "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
    }


def namespace_index(rest_url: Callable[[str], str]) -> dict[str, Any]:
    """``GET /wp-json/wc/v3``: the namespace and its routes."""
    return {
        "namespace": "wc/v3",
        "routes": {
            route: {
                "namespace": "wc/v3",
                "methods": methods,
                "endpoints": [{"methods": methods, "args": {}}],
                "_links": {"self": [{"href": rest_url(route)}]},
            }
            for route, methods in _ROUTES.items()
        },
        "_links": {"up": [{"href": rest_url("/")}]},
    }


def system_status(home: str, currency: str, tls: bool) -> dict[str, Any]:
    """``GET /wp-json/wc/v3/system_status``, the parts clients use."""
    return {
        "environment": {
            "home_url": home,
            "site_url": home,
            "version": WC_VERSION,
            "wp_version": WP_VERSION,
            "wp_multisite": False,
            "language": "el",
            "server_info": "Apache",
            "php_version": "8.2.18",
            "default_timezone": "UTC",
        },
        "active_plugins": [
            {"plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": WC_VERSION}
        ],
        "settings": {
            "api_enabled": True,
            "force_ssl": False,
            "currency": currency,
            "currency_symbol": _CURRENCY_SYMBOLS.get(currency, ""),
            "currency_position": "right_space",
            "thousand_separator": ".",
            "decimal_separator": ",",
            "number_of_decimals": 2,
        },
        "security": {"secure_connection": tls, "hide_errors": True},
    }
