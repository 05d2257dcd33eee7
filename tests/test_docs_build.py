"""The documentation site builds with warnings as errors, gallery included.

Design note
-----------
``sphinx-build -W -b html docs docs/_build/html`` is the one documented build command; this test
runs it (as ``python -m sphinx``, so the interpreter and the skxent it imports are this test
run's) into a temporary folder. ``-W`` makes every warning fatal, so the test fails on a
docstring numpydoc cannot parse, a public function or class without an Examples or See Also
section (numpydoc's validation, configured in ``docs/conf.py``), a broken cross-reference, or a
gallery example that raises. The sources are copied first: sphinx-gallery and autosummary write
generated files next to them, and the checkout must stay clean.

It skips when Sphinx or the other documentation packages are not installed (``pip install
".[docs]"``; the ``test`` extra includes them, so CI runs it) and when the repository's
``docs/`` is not there. The build runs every gallery example: about a minute on two cores.
"""

import importlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
DOC_PACKAGES = ["sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme", "myst_parser",
                "matplotlib", "mpmath", "sphinx-mathjax-offline"]
GENERATED = ["_build", "auto_examples", "gen_modules", "sg_execution_times.rst",
             "api/generated"]
PUBLIC_MODULES = ["skxent.losses", "skxent.special", "skxent.metrics", "skxent.linear_model"]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    for name in DOC_PACKAGES:
        pytest.importorskip(name)
    if not (DOCS / "conf.py").is_file():
        pytest.skip(f"{DOCS} not found (tests run outside the repository)")
    root = tmp_path_factory.mktemp("docs")
    src = root / "docs"
    shutil.copytree(DOCS, src, ignore=lambda d, names: [
        n for n in names if (pathlib.Path(d) / n).relative_to(DOCS).as_posix() in GENERATED])
    out = root / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "-b", "html", "-q", "-d",
           str(root / "doctrees"), str(src), str(out)]
    start = time.perf_counter()
    # cwd: not the repository root, whose uncompiled skxent/ would shadow the installed package
    # (``python -m`` puts the working directory first on sys.path)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, cwd=root,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    elapsed = time.perf_counter() - start
    print(f"sphinx-build took {elapsed:.1f} s")
    assert proc.returncode == 0, (
        f"sphinx-build -W failed ({proc.returncode}):\n{proc.stdout[-5000:]}\n"
        f"{proc.stderr[-10000:]}")
    return src, out


def test_docs_build_with_warnings_as_errors(built_site):
    _, out = built_site
    for page in ["index.html", "getting_started.html", "changelog.html", "api/index.html",
                 "api_reference.html", "user_guide/which_cross_entropy.html",
                 "auto_examples/index.html"]:
        assert (out / page).is_file(), page


def test_every_public_name_has_an_api_page(built_site):
    _, out = built_site
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        assert (out / "api" / "generated" / f"{modname}.html").is_file(), modname
        for name in module.__all__:
            page = out / "api" / "generated" / f"{modname}.{name}.html"
            assert page.is_file(), f"{modname}.{name} has no page in the API reference"
    assert (out / "api" / "generated" / "skxent.show_config.html").is_file()


def test_every_gallery_example_ran_and_made_a_plot(built_site):
    src, out = built_site
    examples = sorted(p.stem for p in (DOCS / "examples").glob("plot_*.py"))
    assert len(examples) >= 7
    for stem in examples:
        assert (out / "auto_examples" / f"{stem}.html").is_file(), stem
        assert list((src / "auto_examples" / "images").glob(f"sphx_glr_{stem}_0*.png")), stem


def test_pages_load_nothing_from_the_network(built_site):
    """The site reads offline: every script and stylesheet is served with the pages, MathJax
    included (a page with math loads ``_static/mathjax``, not a CDN)."""
    _, out = built_site
    remote = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)=[\"'](?:https?:)?//", re.I)
    pages = sorted(out.rglob("*.html"))
    assert pages
    for page in pages:
        match = remote.search(page.read_text(encoding="utf-8"))
        assert match is None, f"{page.relative_to(out)} loads {match.group(0)!r}"
    math_page = (out / "api" / "generated" / "skxent.metrics.log_loss.html").read_text(
        encoding="utf-8")
    assert 'class="math' in math_page and "_static/mathjax/tex-chtml.js" in math_page
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
