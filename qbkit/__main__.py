"""``python -m qbkit``: the command line (see :mod:`qbkit.book.cli`)."""

import sys

from .book.cli import main

sys.exit(main())
