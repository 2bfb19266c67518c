"""``python -m leadcore`` runs the command line."""

from leadcore.cli import main

raise SystemExit(main())
