"""skxent: stable, fast cross-entropy for the scientific Python stack.

Public modules: :mod:`skxent.losses`, :mod:`skxent.special`, :mod:`skxent.metrics`,
:mod:`skxent.linear_model` (the last two import scikit-learn, so they load on first use).
``skxent.show_config()`` reports how the kernels were built.
"""

import importlib

from ._version import __version__  # noqa: E402

from ._config import show_config  # noqa: E402
from . import losses, special  # noqa: E402

__all__ = ["losses", "special", "metrics", "linear_model", "show_config", "__version__"]


def __getattr__(name):
    if name in ("metrics", "linear_model"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'skxent' has no attribute {name!r}")
