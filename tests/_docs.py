"""Read the documentation pages that tests check: code blocks and tables of ``docs/``.

Design note
-----------
The user guide (``docs/user_guide/*.rst``) shows runnable examples and the peer mapping tables;
``test_guide.py``, ``test_dask_docs.py`` and ``test_sampled_docs.py`` run or check them, so the
pages cannot drift from the code. A block is found by the reStructuredText label written just
above it (``.. _dask-example:``), which also makes it linkable from other pages. Tests that need
these pages skip when the repository's ``docs/`` is not there (a test run from an unpacked
wheel).
"""

import pathlib
import re
import textwrap

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def page(relpath):
    """Text of ``docs/<relpath>``; skips the calling test when the docs are not there."""
    path = DOCS / relpath
    if not path.is_file():
        pytest.skip(f"{path} not found (tests run outside the repository)")
    return path.read_text()


def section_after_label(text, label):
    """The text after ``.. _<label>:`` up to the end of the page."""
    marker = f".. _{label}:"
    if marker not in text:
        raise AssertionError(f"label {marker!r} not found")
    return text.split(marker, 1)[1]


def code_block_after_label(text, label):
    """Dedented body of the first ``.. code-block:: python`` after ``.. _<label>:``."""
    rest = section_after_label(text, label)
    m = re.search(r"^\.\. code-block:: python\n((?:[ \t]*:[^\n]*\n)*)\n(.*?)(?=^\S|\Z)", rest,
                  re.S | re.M)
    if m is None:
        raise AssertionError(f"no python code block after label {label!r}")
    return textwrap.dedent(m.group(2))


def list_table_first_cells(text):
    """First cell of every row of the ``list-table`` directives in ``text`` (header included)."""
    return [m.group(1) for m in re.finditer(r"^\s*\* - (.*)$", text, re.M)]
