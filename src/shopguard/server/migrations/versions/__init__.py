"""Schema revisions of the scoring service's database."""
