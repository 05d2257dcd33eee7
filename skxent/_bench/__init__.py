"""``skxent-bench``: benchmark skxent against the installed peers on this machine's cores.

Design note
-----------
Benchmarks used to live only in the repository's ``benchmarks/`` scripts, which an installed
package does not have and which assumed the 2-core machine they were written on. This subpackage
makes them a product feature: ``skxent-bench`` (or ``python -m skxent._bench``) measures the
suites ``losses``, ``metrics``, ``fit`` and ``sampled`` against scikit-learn, and PyTorch,
TensorFlow and dask-ml when they are installed, over a sweep of thread counts up to the
machine's cores, and writes ``results.json``, ``results.md`` and (with matplotlib) PNG plots.

Layout: ``_harness`` (the timing methodology: interleaved rounds, medians, ratios, the floor;
the one copy the repository's scripts also import), ``_cases`` (what a case and a point are),
``_suite_*`` (the cases), ``_peers`` (optional peers and their threads), ``_machine`` (what the
machine is), ``_runner`` (the plan, progress, Ctrl-C), ``_report`` (JSON, Markdown, atomic
writes), ``_plots`` (PNGs) and ``_cli`` (options, input checks, exit codes).
"""


def main(argv=None):
    """Run ``skxent-bench`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    from ._cli import main as _main

    return _main(argv)


__all__ = ["main"]
