"""scikit-learn's own log_loss tests, run against skxent.metrics.log_loss.

Design note
-----------
The drop-in claim of ``skxent.metrics.log_loss`` is checked with the tests
scikit-learn ships for its ``log_loss``:

* every test of ``sklearn/metrics/tests/test_classification.py`` that calls
  ``log_loss`` (``test_log_loss*`` and the d2 tests that use it as reference);
* every parametrization of ``sklearn/metrics/tests/test_common.py`` whose
  parameters select ``log_loss`` (by name, ``"log_loss"`` /
  ``"unnormalized_log_loss"``, or by function object).

The test functions are imported from the installed scikit-learn, their
``pytest.mark.parametrize`` marks are expanded here (keeping each case's own
marks, e.g. skips when an array library is missing), and each case runs with
the module-level ``log_loss`` name and the metric registries
(``ALL_METRICS``, ``CONTINUOUS_CLASSIFICATION_METRICS``...) monkeypatched to
skxent's function, so every call the test makes reaches skxent. Fixtures a
test asks for are resolved through pytest (``request.getfixturevalue``);
``global_random_seed`` (defined in scikit-learn's conftest, which is not
loaded here) is provided. The collection and running machinery is shared
with the other scikit-learn suites (``tests/_sklearn_suite.py``).

If the installed scikit-learn ships without its tests, the module is skipped.
"""

import inspect
import re

import pytest
from _sklearn_suite import MetricSwap, collect, import_sklearn_tests, run_case
from _sklearn_suite import global_random_seed  # noqa: F401 (a fixture: pytest finds it here)

sk_test_classification, sk_test_common = import_sklearn_tests(
    "sklearn.metrics.tests.test_classification", "sklearn.metrics.tests.test_common")

from sklearn.metrics import log_loss as sk_log_loss  # noqa: E402

from skxent.metrics import log_loss as sx_log_loss  # noqa: E402

_SWAP = MetricSwap({sk_log_loss: sx_log_loss}, {"log_loss", "unnormalized_log_loss"})
_CALLS_LOG_LOSS = re.compile(r"(?<![\w.])log_loss\s*\(")


def _select(module, name, func):
    # test_classification: every test whose body calls log_loss, all cases;
    # test_common: the parametrizations that select log_loss.
    if module is sk_test_classification:
        if not _CALLS_LOG_LOSS.search(inspect.getsource(func)):
            return None
        return lambda kwargs: True
    return lambda kwargs: any(_SWAP.refers(v) for v in kwargs.values())


_CASES = collect(
    [("classification", sk_test_classification), ("common", sk_test_common)], _select)


def test_suite_collected_the_log_loss_tests():
    """Guard against silently collecting nothing (e.g. renamed tests)."""
    ids = " ".join(p.id for p in _CASES)
    assert "classification::test_log_loss" in ids
    assert "common::test_normalize_option_binary_classification[log_loss]" in ids
    assert len(_CASES) >= 20


@pytest.mark.parametrize("module, name, kwargs", _CASES)
def test_sklearn_log_loss_case(module, name, kwargs, monkeypatch, request):
    """scikit-learn's test, with skxent's log_loss swapped in, passes."""
    _SWAP.patch(monkeypatch, module)
    run_case(getattr(module, name), {k: _SWAP.swap(v) for k, v in kwargs.items()}, request)
