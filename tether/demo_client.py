"""Moved to tether.demo.client; `python -m tether.demo_client ADDRESS [LINEAR]` still runs it."""

import sys

from tether.demo.client import drive, main

__all__ = ["drive", "main"]

if __name__ == "__main__":
    main(sys.argv[1:])
