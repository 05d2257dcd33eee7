"""skxent: stable, fast cross-entropy for the scientific Python stack.

Public modules: :mod:`skxent.losses`, :mod:`skxent.special`, :mod:`skxent.metrics`,
:mod:`skxent.linear_model`. ``skxent.show_config()`` reports how the kernels were built.
"""

__version__ = "0.1.0"

from ._config import show_config  # noqa: E402

__all__ = ["show_config", "__version__"]
