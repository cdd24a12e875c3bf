"""ShopGuard: a privacy-first risk and GDPR companion for WooCommerce shops."""

__version__ = "0.1.0"
