"""scikit-learn's own tests of brier_score_loss, d2_brier_score and d2_log_loss_score, run
against skxent's.

Design note
-----------
The drop-in claim of ``skxent.metrics.brier_score_loss``, ``d2_brier_score`` and
``d2_log_loss_score`` is checked with the tests scikit-learn ships for them, as
``tests/test_sklearn_log_loss_suite.py`` does for ``log_loss``. Included:

* ``sklearn/metrics/tests/test_classification.py``: every test whose body calls one of the
  three (``test_brier_score_loss_*``, ``test_d2_log_loss_score*``, ``test_d2_brier_score*``,
  ...), all cases; and the cases of other tests whose parameters select one of them
  (``test_classification_metric_pos_label_types[brier_score_loss-...]``);
* ``sklearn/metrics/tests/test_common.py``: every parametrization whose parameters select one
  of the three, by name (``"brier_score_loss"``...) or by function object (the invariance,
  sample-weight, pos_label, label-order, dtype and array-API checks);
* ``sklearn/metrics/tests/test_score_objects.py``: ``test_brier_score_loss_pos_label`` (calls
  the function and a ``make_scorer`` of it), the ``test_scorer_select_proba_error`` case built
  on ``brier_score_loss``, the ``test_scorer_memmap_input`` cases of the scorer names
  ``"neg_brier_score"``, ``"d2_brier_score"`` and ``"d2_log_loss_score"``, and
  ``test_classification_scorer_sample_weight`` (which calls every classification scorer with
  and without sample weights): there the scorer registry ``_SCORERS`` is patched so that those
  names give skxent's scorers.

Left out: the rest of ``test_score_objects.py`` (it exercises the scorer machinery, not the
metrics, and builds its scorers from the registry in ways that do not depend on the metric),
and the tests of other modules that merely use ``brier_score_loss`` as a yardstick
(``sklearn/tests/test_calibration.py`` compares calibrators with it;
``test_discriminant_analysis.py`` uses ``scoring="d2_brier_score"``): they test estimators.
The array-API cases are collected with their own skip marks (they skip unless
``SCIPY_ARRAY_API=1`` and an array library are available; skxent computes in NumPy).

Each case runs with the module-level names and the metric registries (``ALL_METRICS``,
``CONTINUOUS_CLASSIFICATION_METRICS``...) monkeypatched to skxent's functions, and with
``make_scorer`` objects built on scikit-learn's functions rebuilt on skxent's, so every call the
test makes reaches skxent. Fixtures come from pytest (``request.getfixturevalue``); the ones the
included tests define in their own module are imported below, and ``global_random_seed``
(scikit-learn's conftest, not loaded here) is provided.

If the installed scikit-learn ships without its tests, the module is skipped.
"""

import copy
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
        import sklearn.metrics.tests.test_score_objects as sk_test_score_objects
        from sklearn.metrics.tests.test_score_objects import (  # noqa: F401 (fixtures)
            memmap_data_and_estimators,
            string_labeled_classification_problem,
        )
except ImportError:  # pragma: no cover - depends on the scikit-learn install
    pytest.skip("the installed scikit-learn ships no tests", allow_module_level=True)

import sklearn.metrics as skm
from _pytest.mark.structures import ParameterSet
from sklearn.metrics import _scorer as sk_scorer
from sklearn.metrics._scorer import _BaseScorer

import skxent.metrics as sxm

_NAMES = ("brier_score_loss", "d2_brier_score", "d2_log_loss_score")
_SK = {getattr(skm, name): getattr(sxm, name) for name in _NAMES}
_CALLS = re.compile(r"(?<![\w.])(" + "|".join(_NAMES) + r")\s*\(")
# scorer registry names -> skxent's scorers
_SCORERS = {
    "neg_brier_score": sxm.neg_brier_score_scorer,
    "d2_brier_score": sxm.d2_brier_scorer,
    "d2_log_loss_score": sxm.d2_log_loss_scorer,
}
# names that select one of the three in scikit-learn's parametrizations (metric registries,
# scorer names)
_SELECTING_NAMES = set(_NAMES) | set(_SCORERS)
# tests included whole although no parametrization names the metrics (see the module note)
_WHOLE = {
    "test_sample_order_invariance_multilabel_and_multioutput",  # loops over the registries
    "test_brier_score_loss_pos_label",
    "test_classification_scorer_sample_weight",  # loops over every scorer
}


@pytest.fixture
def global_random_seed():
    # scikit-learn's conftest fixture (not loaded here); its default seed.
    return 42


def _is_sk(v):
    if isinstance(v, functools.partial):
        v = v.func
    try:
        return v in _SK
    except TypeError:  # unhashable
        return False


def _refers(v):
    if isinstance(v, str):
        return v in _SELECTING_NAMES
    if _is_sk(v):
        return True
    if isinstance(v, _BaseScorer):
        return _is_sk(v._score_func)
    if isinstance(v, (tuple, list)):
        return any(_refers(x) for x in v)
    return False


def _swap(v):
    """scikit-learn's function (a partial of it, a scorer on it) -> skxent's, recursively."""
    if isinstance(v, functools.partial) and _is_sk(v.func):
        return functools.partial(_SK[v.func], *v.args, **v.keywords)
    if _is_sk(v):
        return _SK[v]
    if isinstance(v, _BaseScorer) and _is_sk(v._score_func):
        scorer = copy.copy(v)
        scorer._score_func = _SK[v._score_func]
        return scorer
    if isinstance(v, (tuple, list)) and any(_refers(x) for x in v):
        return type(v)(_swap(x) for x in v)
    return v


def _short(v):
    if isinstance(v, functools.partial):
        return "partial_" + getattr(v.func, "__name__", "f")
    if isinstance(v, _BaseScorer):
        return "scorer_" + getattr(v._score_func, "__name__", "f")
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


def _tests(module):
    for name, func in sorted(vars(module).items()):
        if name.startswith("test_") and inspect.isfunction(func):
            yield name, func


def _param(prefix, module, name, kwargs, marks):
    case_id = prefix + "::" + name
    if kwargs:
        case_id += "[" + "-".join(_short(v) for v in kwargs.values()) + "]"
    return pytest.param(module, name, kwargs, marks=marks, id=case_id)


def _collect():
    params = []
    for prefix, module in (
        ("classification", sk_test_classification),
        ("common", sk_test_common),
        ("score_objects", sk_test_score_objects),
    ):
        for name, func in _tests(module):
            whole = name in _WHOLE or (
                module is sk_test_classification and _CALLS.search(inspect.getsource(func))
            )
            for kwargs, marks in _expand(func):
                if whole or any(_refers(v) for v in kwargs.values()):
                    params.append(_param(prefix, module, name, kwargs, marks))
    return params


_CASES = _collect()


def _patch(monkeypatch, module):
    for name in _NAMES:
        if hasattr(module, name):
            monkeypatch.setattr(module, name, getattr(sxm, name))
    for attr, value in list(vars(module).items()):
        if isinstance(value, dict):
            for key, metric in list(value.items()):
                if _is_sk(metric):
                    monkeypatch.setitem(value, key, _swap(metric))
    for key, scorer in _SCORERS.items():
        monkeypatch.setitem(sk_scorer._SCORERS, key, scorer)


def test_suite_collected_the_tests():
    """Guard against silently collecting nothing (e.g. renamed tests)."""
    ids = " ".join(p.id for p in _CASES)
    for expected in (
        "classification::test_brier_score_loss_binary",
        "classification::test_brier_score_loss_multiclass",
        "classification::test_d2_log_loss_score",
        "classification::test_d2_log_loss_score_y_pred_deprecation",
        "classification::test_d2_brier_score",
        "classification::test_classification_metric_pos_label_types[(0, 1)-brier_score_loss]",
        "common::test_binary_sample_weight_invariance[brier_score_loss]",
        "common::test_continuous_metric_permutation_invariance[d2_log_loss_score]",
        "common::test_sample_order_invariance_multilabel_and_multioutput",
        "common::test_mixed_array_api_namespace_input_compliance[d2_brier_score",
        "score_objects::test_brier_score_loss_pos_label",
        "score_objects::test_classification_scorer_sample_weight",
        "score_objects::test_scorer_memmap_input[neg_brier_score]",
        "score_objects::test_scorer_select_proba_error[scorer_brier_score_loss]",
    ):
        assert expected in ids, expected
    assert len(_CASES) >= 60


@pytest.mark.parametrize("module, name, kwargs", _CASES)
def test_sklearn_proba_metrics_case(module, name, kwargs, monkeypatch, request):
    """scikit-learn's test, with skxent's metrics swapped in, passes."""
    _patch(monkeypatch, module)
    func = getattr(module, name)
    call_kwargs = {k: _swap(v) for k, v in kwargs.items()}
    for arg in inspect.signature(func).parameters:
        if arg not in call_kwargs:
            call_kwargs[arg] = request.getfixturevalue(arg)
    func(**call_kwargs)
