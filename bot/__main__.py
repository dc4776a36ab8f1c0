"""``python -m bot`` runs the citebot CLI."""

from .cli import main

raise SystemExit(main())
