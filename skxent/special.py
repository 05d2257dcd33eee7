"""Stable softmax-family and sigmoid-family functions: ``logsumexp``, ``log_softmax``,
``softmax``, ``log_sigmoid``, ``sigmoid``.

Design note
-----------
A public module, as ``skxent.losses`` is: the contract lives in the docstrings of the functions,
the computation (one pass of the kernels' softmax stage or sigmoid, stable, parallel, within a few
ulps of an exact reference) in :mod:`skxent._special`, which internal modules use directly.

The gradient of softmax cross-entropy with respect to soft labels (TensorFlow's ``_v2``
behaviour) is ``-log_softmax(logits)``.
"""

from ._special import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

__all__ = ["logsumexp", "log_softmax", "softmax", "log_sigmoid", "sigmoid"]
