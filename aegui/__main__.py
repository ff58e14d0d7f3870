"""`python -m aegui`: the same as the `aegui` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
