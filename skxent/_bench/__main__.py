"""``python -m skxent._bench``: the ``skxent-bench`` command without its console script.

Design note
-----------
The console script runs the *installed* package; inside a source checkout (where the editable
install may point elsewhere) ``PYTHONPATH=<checkout> python -m skxent._bench`` runs that
checkout's benchmark instead. Both go through ``skxent._bench.main``, so they behave the same.
"""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
