"""``python -m shopguard``."""

from shopguard.cli import main

raise SystemExit(main())
