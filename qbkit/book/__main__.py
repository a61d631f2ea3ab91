"""``python -m qbkit.book``: build the HTML book (see :mod:`qbkit.book.build`)."""

import sys

from .build import main

sys.exit(main())
