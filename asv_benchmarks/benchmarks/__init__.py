"""asv benchmarks of skxent: the cases of ``skxent-bench``, timed per commit."""
