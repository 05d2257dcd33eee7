"""The benchmark scripts' timing harness: a re-export of ``skxent._bench._harness``.

Design note
-----------
One methodology, one copy: the harness (interleaved rounds, medians, ratios peer / skxent, the
``np.sum`` floor) lives in the package, where ``skxent-bench`` uses it too; the scripts here
keep importing ``_harness`` as before. It is loaded from the package if skxent imports, else
straight from this checkout's ``skxent/_bench/_harness.py`` by file path (the module imports
nothing from skxent), so a script can still time its peers in a checkout whose extension is not
built, or when another skxent without ``_bench`` is installed.
"""

import importlib.util
import os
import sys

try:
    from skxent._bench import _harness as _impl
except ImportError:
    _path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "skxent", "_bench", "_harness.py")
    _spec = importlib.util.spec_from_file_location("_skxent_bench_harness", _path)
    _impl = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _impl
    _spec.loader.exec_module(_impl)

FLOOR = _impl.FLOOR
Interrupted = _impl.Interrupted
compare = _impl.compare
floor = _impl.floor
markdown_table = _impl.markdown_table
now = _impl.now
print_table = _impl.print_table
ratios = _impl.ratios

__all__ = list(_impl.__all__)
