"""Sphinx configuration of skxent's documentation site.

Design note
-----------
Built by one command, from the repository root::

    sphinx-build -W -b html docs docs/_build/html

``-W`` turns every warning into an error, so a docstring that numpydoc cannot parse, a broken
cross-reference or a failing gallery example fails the build (and ``tests/test_docs_build.py``,
which runs this build in CI).

* The API reference is generated: ``api/index.rst`` runs autosummary over the public modules,
  and the module template (``_templates/autosummary/module.rst``) lists each module's
  ``__all__``, so a public name added later gets its page without editing the docs.
  Docstrings are numpydoc.
* ``api_reference.md`` (the repository's API contract, Markdown, edited alongside the code) is
  included as it is through ``myst-parser``; every other page is reStructuredText.
* The gallery (``examples/``, sphinx-gallery) runs every example at build time.
* The build must work offline (CI machines have no internet): no intersphinx, no remote images,
  no theme features that fetch anything at build time. The pages must read offline too: math is
  rendered by a MathJax copy served with the pages (``sphinx-mathjax-offline``, a docs
  requirement, copies MathJax 3 into ``_static/mathjax`` and points ``mathjax_path`` at it),
  not by Sphinx's default, MathJax from a CDN.
* skxent is imported, never put on ``sys.path`` from here: the build documents the installed
  package (or the in-place build on ``PYTHONPATH``), as the tests test it. The uncompiled source
  tree would not import.
"""

import skxent

project = "skxent"
author = "the skxent developers"
copyright = "the skxent developers"
release = skxent.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from _static/mathjax, not from a CDN
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**/README.rst",  # sphinx-gallery's own gallery headers
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
    "examples/*",
]
default_role = "literal"  # `x` in reStructuredText reads as code, as in the Markdown pages
pygments_style = "sphinx"
nitpicky = False

# -- autodoc / autosummary / numpydoc --------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # the module template lists exactly __all__
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
add_module_names = False
numpydoc_show_class_members = False  # methods are listed by the class template
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Every public function and class must say what it raises, where to look next and how to use
# it: numpydoc's validator fails the (-W) build otherwise. Methods are exempt from the
# examples and see-also checks (their class has both).
numpydoc_validation_checks = {"EX01", "SA01", "PR01", "PR02", "PR10", "GL08"}
numpydoc_validation_exclude = {
    r"\.(fit|predict|predict_proba|predict_log_proba|decision_function|score)$",
    r"\.(get_params|set_params|get_metadata_routing|set_fit_request|set_score_request)$",
    r"\.(set_predict_proba_request|set_predict_request|__sklearn_tags__)$",
}

# -- sphinx-gallery ----------------------------------------------------------------------------
# Every example runs at build time (keep each under ~15 s on two cores); an example that raises
# fails the build.
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skxent",),
    "reference_url": {"skxent": None},
    "backreferences_dir": "gen_modules/backreferences",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 0,
    "matplotlib_animations": False,
    "plot_gallery": "True",
    # No "computation times" pages: sphinx-gallery builds their sortable table with scripts and
    # styles from CDNs, and the site must read offline (each example's page gives its time).
    "write_computation_times": False,
}

# -- matplotlib plot directive (figures of the user guide) -----------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.figsize": (7.0, 3.6), "savefig.bbox": "tight"}

# -- MyST (the API contract page) -------------------------------------------------------------
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# -- HTML ------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skxent {release}"
html_static_path = ["_static"]
html_css_files = ["skxent.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "logo": {"text": "skxent"},
}
html_sidebars = {"index": [], "getting_started": [], "changelog": [], "development": []}
html_context = {"default_mode": "light"}


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Class pages list the methods skxent defines; those inherited from scikit-learn's mixins
    (``score``, ``get_params``, ...) are scikit-learn's, documented there."""
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module.split(".")[0] == "sklearn":
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
