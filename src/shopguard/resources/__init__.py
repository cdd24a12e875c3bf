"""Data shipped with ShopGuard: assessment templates and worked examples, fonts."""
