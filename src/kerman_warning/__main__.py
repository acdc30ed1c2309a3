"""`python -m kerman_warning` is the `kerman-warning` command."""

from .cli import main

raise SystemExit(main())
