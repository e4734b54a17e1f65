"""`python -m tether`: the command line (the guardian starts its daemon this way)."""

from tether.cli import main

raise SystemExit(main())
