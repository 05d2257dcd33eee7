"""The Examples sections of the public docstrings run, as doctests, and print what they show.

Design note
-----------
The documentation site (``docs/``) renders these docstrings as the API reference; this test keeps
their examples true. It collects, for every name in a public module's ``__all__`` (the same list
the API reference is generated from, so a function added later is tested without editing this
file), the doctests of that object (a class's methods included) with :class:`doctest.DocTestFinder`,
and runs each as its own test. It does not need Sphinx: it runs in every test run.

A docstring without an example is caught by the documentation build (numpydoc's ``EX01`` check);
here ``test_every_public_function_and_class_has_an_example`` says the same without Sphinx.

The ``>>>`` examples of the documentation's pages (``docs/**/*.rst``: getting started, the user
guide) run the same way, one test per page; they skip when the repository's ``docs/`` is not
there. Blocks meant as illustration only (a PyTorch comparison, machine-dependent output) are
written without prompts.
"""

import doctest
import importlib
import inspect
import pathlib

import numpy as np
import pytest

PUBLIC_MODULES = ["skxent", "skxent.losses", "skxent.special", "skxent.metrics",
                  "skxent.linear_model"]
OPTIONFLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
GENERATED_DIRS = {"_build", "auto_examples", "gen_modules", "generated"}


def _public_objects():
    out = []
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or name.startswith("__"):
                continue
            out.append((f"{modname}.{name}", obj))
    return out


def _doctests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for qualname, obj in _public_objects():
        for test in finder.find(obj, qualname, module=False, globs={}):
            if test.examples:
                tests.append(test)
    return tests


_TESTS = _doctests()


def test_doctests_are_collected():
    names = {t.name for t in _TESTS}
    assert "skxent.losses.categorical_cross_entropy" in names
    assert "skxent.linear_model.SoftmaxRegression" in names


def test_every_public_function_and_class_has_an_example():
    missing = [q for q, obj in _public_objects()
               if "Examples\n" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"no Examples section: {missing}"


@pytest.mark.parametrize("test", _TESTS, ids=[t.name for t in _TESTS])
def test_docstring_example_runs(test):
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    with np.printoptions(legacy=False):
        result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)


def _doc_pages():
    if not DOCS.is_dir():
        return []
    return sorted(p for p in DOCS.rglob("*.rst")
                  if not GENERATED_DIRS.intersection(p.relative_to(DOCS).parts)
                  and ">>>" in p.read_text())


_PAGES = _doc_pages()


@pytest.mark.parametrize("page", _PAGES, ids=[p.relative_to(DOCS).as_posix() for p in _PAGES])
def test_docs_page_examples_run(page):
    text = page.read_text()
    test = doctest.DocTestParser().get_doctest(text, {}, page.relative_to(DOCS).as_posix(),
                                               str(page), 0)
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    with np.printoptions(legacy=False):
        result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)


def test_docs_pages_are_found():
    if not DOCS.is_dir():
        pytest.skip("docs/ not found (tests run outside the repository)")
    names = {p.relative_to(DOCS).as_posix() for p in _PAGES}
    assert {"getting_started.rst", "user_guide/metrics.rst"} <= names
