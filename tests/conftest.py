"""Shared pytest configuration for skxent's test suite.

Design note
-----------
Kept deliberately small because every test module of the project (losses, metrics, estimators,
sampled losses) runs under it: no global hypothesis profile is *loaded* here (tests that use
hypothesis pass their own ``@settings``), and no fixture is autouse. What it adds:

* the test directory on ``sys.path`` so modules can ``from _reference import ...`` whatever
  pytest's import mode;
* a report header with skxent's build configuration (OpenMP, threads, SIMD level), so a CI log
  says which kernels were tested;
* a registered hypothesis profile ``skxent-ci`` (modest ``max_examples``, no deadline: timing on
  a loaded 2-core CI box is noise), available via ``--hypothesis-profile=skxent-ci``;
* small fixtures: a seeded ``rng``.
"""

import os
import sys

import numpy as np
import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

try:  # hypothesis is a test extra; the suite still collects without it
    from hypothesis import settings

    settings.register_profile("skxent-ci", max_examples=30, deadline=None)
except ImportError:  # pragma: no cover
    pass


def pytest_report_header(config):
    try:
        import skxent

        cfg = skxent.show_config(return_dict=True)
        return (
            f"skxent {cfg.get('version')}: openmp={cfg.get('openmp')}, "
            f"max_threads={cfg.get('max_threads')}, simd={cfg.get('simd')}"
        )
    except Exception as exc:  # noqa: BLE001 - a header must never break collection
        return f"skxent configuration unavailable: {exc!r}"


@pytest.fixture
def rng():
    """A fresh, seeded generator per test (tests stay independent of execution order)."""
    return np.random.default_rng(20261123)
