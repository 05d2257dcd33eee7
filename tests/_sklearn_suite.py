"""Running scikit-learn's own tests against skxent: what the three suites share.

Design note
-----------
``test_sklearn_log_loss_suite.py``, ``test_sklearn_proba_metrics_suite.py`` and
``test_sklearn_logistic_suite.py`` check skxent's drop-in claims with the tests the installed
scikit-learn ships. Each imports scikit-learn's test functions, expands their
``pytest.mark.parametrize`` marks into cases here (each case keeps its own marks: skips when an
array library is missing, ``filterwarnings``...), selects the cases that concern skxent, and
runs each with scikit-learn's names patched to skxent's. The mechanics are the same for the
three and live here; what a suite selects and what it patches stays in the suite:

* :func:`import_sklearn_tests`: scikit-learn's test modules, or a module-level skip when the
  install ships without its tests;
* :func:`global_random_seed`: scikit-learn's conftest fixture (its conftest is not loaded);
  a suite imports it into its namespace so that pytest finds it;
* :func:`expand` / :func:`collect`: the cases of a test function, and the selected cases of
  whole modules, as ``pytest.param(module, name, kwargs)`` with readable ids;
* :class:`MetricSwap`: scikit-learn metric functions (plain, ``functools.partial`` of them, or
  scorers built on them) recognised and replaced by skxent's, in a test's parameters and in
  the metric registries of its module;
* :func:`run_case`: call the test with its parameters, the fixtures it asks for resolved by
  pytest (``request.getfixturevalue``).
"""

import copy
import functools
import importlib
import inspect
import itertools
import warnings

import pytest
from _pytest.mark.structures import ParameterSet


def import_sklearn_tests(*names):
    """The test modules ``names`` (dotted) of the installed scikit-learn, in order; skips the
    calling test module when the install ships without its tests."""
    try:
        with warnings.catch_warnings():
            # scikit-learn registers its own marks (thread_unsafe...) in its conftest.
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            return [importlib.import_module(name) for name in names]
    except ImportError:  # pragma: no cover - depends on the scikit-learn install
        pytest.skip("the installed scikit-learn ships no tests", allow_module_level=True)


@pytest.fixture
def global_random_seed():
    # scikit-learn's conftest fixture (not loaded here); its default seed.
    return 42


def sklearn_tests(module):
    """``(name, function)`` of the module's test functions, by name."""
    for name, func in sorted(vars(module).items()):
        if name.startswith("test_") and inspect.isfunction(func):
            yield name, func


def expand(func, keep_marks=None, module_marks=()):
    """All parametrizations of ``func``: list of ``(kwargs, marks)``.

    Each case carries the function's other marks, ``module_marks`` and its own parameter
    set's marks; with ``keep_marks`` (a set of mark names), only those.
    """
    def kept(marks):
        return [m for m in marks if keep_marks is None or m.name in keep_marks]

    marks = getattr(func, "pytestmark", [])
    other_marks = kept(m for m in marks if m.name != "parametrize") + kept(module_marks)
    grids = []
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
                case_marks = kept(value.marks)
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


def _short(v, quote_strings):
    from sklearn.metrics._scorer import _BaseScorer

    if isinstance(v, functools.partial):
        return "partial_" + getattr(v.func, "__name__", "f")
    if isinstance(v, _BaseScorer):
        return "scorer_" + getattr(v._score_func, "__name__", "f")
    if callable(v):
        return getattr(v, "__name__", type(v).__name__)
    text = v if isinstance(v, str) and not quote_strings else repr(v)
    return text if len(text) <= 30 else text[:27] + "..."


def case_id(name, kwargs, prefix=None, quote_strings=False):
    """``prefix::name[param-param...]``: the parameters shortened (functions by name, long
    values cut at 30 characters; strings quoted with ``quote_strings``)."""
    text = name if prefix is None else prefix + "::" + name
    if kwargs:
        text += "[" + "-".join(_short(v, quote_strings) for v in kwargs.values()) + "]"
    return text


def collect(sources, select, keep_marks=None, module_marks=False, quote_strings=False):
    """The selected cases of scikit-learn's test modules, as ``pytest.param(module, name,
    kwargs)``, module by module, tests by name.

    ``sources`` lists ``(prefix, module)`` (the prefix starts the case ids; None for none).
    ``select(module, name, func)`` returns None to leave a test out, or a predicate on a case's
    parameters (``kwargs``) that keeps the case. ``keep_marks`` and ``quote_strings``: see
    :func:`expand` and :func:`case_id`; ``module_marks``: the module's own ``pytestmark`` is
    added to its cases' marks.
    """
    params = []
    for prefix, module in sources:
        marks_of_module = []
        if module_marks:
            marks_of_module = getattr(module, "pytestmark", [])
            if not isinstance(marks_of_module, list):
                marks_of_module = [marks_of_module]
        for name, func in sklearn_tests(module):
            keep = select(module, name, func)
            if keep is None:
                continue
            for kwargs, marks in expand(func, keep_marks, marks_of_module):
                if keep(kwargs):
                    params.append(pytest.param(
                        module, name, kwargs, marks=marks,
                        id=case_id(name, kwargs, prefix, quote_strings)))
    return params


def run_case(func, kwargs, request):
    """``func(**kwargs)``, with the fixtures it asks for beyond ``kwargs`` from pytest."""
    call_kwargs = dict(kwargs)
    for arg in inspect.signature(func).parameters:
        if arg not in call_kwargs:
            call_kwargs[arg] = request.getfixturevalue(arg)
    func(**call_kwargs)


class MetricSwap:
    """scikit-learn's metric functions and their skxent replacements.

    Parameters
    ----------
    pairs : dict
        scikit-learn function -> skxent function.
    names : set of str
        The names that select one of them in scikit-learn's parametrizations (registry keys,
        scorer names).
    """

    def __init__(self, pairs, names):
        self.pairs = dict(pairs)
        self.names = set(names)

    def is_sk(self, v):
        """A scikit-learn function of ``pairs``, or a ``functools.partial`` of one."""
        if isinstance(v, functools.partial):
            v = v.func
        try:
            return v in self.pairs
        except TypeError:  # unhashable
            return False

    def refers(self, v):
        """``v`` selects one of the functions: by name, as the function (a partial of it, a
        scorer on it), or inside a tuple or list."""
        from sklearn.metrics._scorer import _BaseScorer

        if isinstance(v, str):
            return v in self.names
        if self.is_sk(v):
            return True
        if isinstance(v, _BaseScorer):
            return self.is_sk(v._score_func)
        if isinstance(v, (tuple, list)):
            return any(self.refers(x) for x in v)
        return False

    def swap(self, v):
        """scikit-learn's function (a partial of it, a scorer on it) -> skxent's,
        recursively."""
        from sklearn.metrics._scorer import _BaseScorer

        if isinstance(v, functools.partial) and self.is_sk(v.func):
            return functools.partial(self.pairs[v.func], *v.args, **v.keywords)
        if self.is_sk(v):
            return self.pairs[v]
        if isinstance(v, _BaseScorer) and self.is_sk(v._score_func):
            scorer = copy.copy(v)
            scorer._score_func = self.pairs[v._score_func]
            return scorer
        if isinstance(v, (tuple, list)) and any(self.refers(x) for x in v):
            return type(v)(self.swap(x) for x in v)
        return v

    def patch(self, monkeypatch, module):
        """The module's names of the functions, and its metric registries (module-level
        dicts), point at skxent's functions for the test."""
        for sk_func, sx_func in self.pairs.items():
            if hasattr(module, sk_func.__name__):
                monkeypatch.setattr(module, sk_func.__name__, sx_func)
        for value in list(vars(module).values()):
            if isinstance(value, dict):
                for key, metric in list(value.items()):
                    if self.is_sk(metric):
                        monkeypatch.setitem(value, key, self.swap(metric))
