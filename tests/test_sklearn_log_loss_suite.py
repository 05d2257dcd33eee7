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
loaded here) is provided below.

If the installed scikit-learn ships without its tests, the module is skipped.
"""

import functools
import inspect
import itertools
import re
import warnings

import pytest

try:
    with warnings.catch_warnings():
        # scikit-learn registers its own marks (thread_unsafe...) in its conftest.
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        import sklearn.metrics.tests.test_classification as sk_test_classification
        import sklearn.metrics.tests.test_common as sk_test_common
except ImportError:  # pragma: no cover - depends on the scikit-learn install
    pytest.skip(
        "the installed scikit-learn ships no tests", allow_module_level=True
    )

from _pytest.mark.structures import ParameterSet
from sklearn.metrics import log_loss as sk_log_loss

from skxent.metrics import log_loss as sx_log_loss

_LOG_LOSS_NAMES = {"log_loss", "unnormalized_log_loss"}
_CALLS_LOG_LOSS = re.compile(r"(?<![\w.])log_loss\s*\(")


@pytest.fixture
def global_random_seed():
    # scikit-learn's conftest fixture (not loaded here); its default seed.
    return 42


def _is_sk_log_loss(v):
    return v is sk_log_loss or (
        isinstance(v, functools.partial) and v.func is sk_log_loss
    )


def _refers_to_log_loss(v):
    if isinstance(v, str):
        return v in _LOG_LOSS_NAMES
    if _is_sk_log_loss(v):
        return True
    if isinstance(v, (tuple, list)):
        return any(_refers_to_log_loss(x) for x in v)
    return False


def _swap(v):
    """sklearn's log_loss (or a partial of it) -> skxent's, recursively."""
    if v is sk_log_loss:
        return sx_log_loss
    if isinstance(v, functools.partial) and v.func is sk_log_loss:
        return functools.partial(sx_log_loss, *v.args, **v.keywords)
    return v


def _short(v):
    if isinstance(v, functools.partial):
        return "partial_" + getattr(v.func, "__name__", "f")
    if callable(v):
        return getattr(v, "__name__", type(v).__name__)
    text = v if isinstance(v, str) else repr(v)
    return text if len(text) <= 30 else text[:27] + "..."


def _expand(func):
    """All parametrizations of ``func``: list of (kwargs, marks)."""
    marks = getattr(func, "pytestmark", [])
    grids = []
    other_marks = [m for m in marks if m.name != "parametrize"]
    for m in marks:
        if m.name != "parametrize":
            continue
        argnames = m.args[0]
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",") if a.strip()]
        grid = []
        for value in m.args[1]:
            case_marks = []
            if isinstance(value, ParameterSet):
                case_marks = list(value.marks)
                values = value.values
            elif len(argnames) == 1:
                values = (value,)
            else:
                values = tuple(value)
            grid.append((dict(zip(argnames, values)), case_marks))
        grids.append(grid)
    cases = []
    for combo in itertools.product(*grids):
        kwargs, case_marks = {}, list(other_marks)
        for kw, mk in combo:
            kwargs.update(kw)
            case_marks.extend(mk)
        cases.append((kwargs, case_marks))
    return cases


def _collect():
    params = []
    # test_classification: every test whose body calls log_loss, all cases.
    for name, func in sorted(vars(sk_test_classification).items()):
        if not (name.startswith("test_") and inspect.isfunction(func)):
            continue
        if not _CALLS_LOG_LOSS.search(inspect.getsource(func)):
            continue
        for kwargs, marks in _expand(func):
            case_id = "classification::" + name
            if kwargs:
                case_id += "[" + "-".join(_short(v) for v in kwargs.values()) + "]"
            params.append(
                pytest.param(sk_test_classification, name, kwargs, marks=marks, id=case_id)
            )
    # test_common: the parametrizations that select log_loss.
    for name, func in sorted(vars(sk_test_common).items()):
        if not (name.startswith("test_") and inspect.isfunction(func)):
            continue
        for kwargs, marks in _expand(func):
            if not any(_refers_to_log_loss(v) for v in kwargs.values()):
                continue
            case_id = (
                "common::" + name + "["
                + "-".join(_short(v) for v in kwargs.values()) + "]"
            )
            params.append(
                pytest.param(sk_test_common, name, kwargs, marks=marks, id=case_id)
            )
    return params


_CASES = _collect()


def _patch_module(monkeypatch, module):
    if hasattr(module, "log_loss"):
        monkeypatch.setattr(module, "log_loss", sx_log_loss)
    for attr, value in list(vars(module).items()):
        if isinstance(value, dict):
            for key, metric in list(value.items()):
                if _is_sk_log_loss(metric):
                    monkeypatch.setitem(value, key, _swap(metric))


def test_suite_collected_the_log_loss_tests():
    """Guard against silently collecting nothing (e.g. renamed tests)."""
    ids = " ".join(p.id for p in _CASES)
    assert "classification::test_log_loss" in ids
    assert "common::test_normalize_option_binary_classification[log_loss]" in ids
    assert len(_CASES) >= 20


@pytest.mark.parametrize("module, name, kwargs", _CASES)
def test_sklearn_log_loss_case(module, name, kwargs, monkeypatch, request):
    """scikit-learn's test, with skxent's log_loss swapped in, passes."""
    _patch_module(monkeypatch, module)
    func = getattr(module, name)
    call_kwargs = {k: _swap(v) for k, v in kwargs.items()}
    for arg in inspect.signature(func).parameters:
        if arg not in call_kwargs:
            call_kwargs[arg] = request.getfixturevalue(arg)
    func(**call_kwargs)
