"""``python -m skxent._bench``: the same as the ``skxent-bench`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
