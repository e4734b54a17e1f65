"""Soak: client processes drive, hang, die and reconnect at random against one simulated rover
while faults are injected; afterwards every session end is checked against the stop records and
the duties, and the daemon is checked for leaked sessions, memory and file descriptors.

Run: python bench/soak.py --minutes N [--seed S] [--delays FILE]

The entry point only: the soak is the package bench/soak/ (one module per concern), which this
file's folder puts on the import path and which Python finds before this file.
"""

import sys

from soak.cli import main

if __name__ == "__main__":
    sys.exit(main())
