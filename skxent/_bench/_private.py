"""skxent's private entry points the benchmark needs, across the versions that moved them.

Design note
-----------
Two rows of the suites need more than the public API: ``skxent (grad_out)``, the loss + gradient
written into a preallocated buffer (the fair twin of scikit-learn's preallocated row), and the
full softmax baseline of the ``sampled`` suite, which overwrites its own logits with the
gradient. Version 0.1 exposed that as ``skxent.losses._cce`` / ``_bce``; the loss-family engine
exposes it as ``skxent._engine.loss(family, ...)``. One adapter finds whichever this skxent has,
so the benchmark (and a comparison of two builds) runs on both; without either the rows are
left out with a note rather than failing.
"""

__all__ = ["preallocated_loss"]


def preallocated_loss(kind):
    """``f(y_true, logits, **kw) -> loss`` or ``(loss, grad)`` taking ``grad_out=``, or None.

    ``kind`` is ``"categorical"`` (softmax) or ``"binary"`` (sigmoid); ``from_logits=True`` is
    implied; ``kw`` are the API's keywords (``grad_out``, ``reduction``, ``n_threads``,
    ``validate``).
    """
    from skxent import losses

    f = getattr(losses, {"categorical": "_cce", "binary": "_bce"}[kind], None)
    if f is not None:  # 0.1
        return lambda y, x, **kw: f(y, x, from_logits=True, **kw)
    try:  # the loss-family engine
        from skxent import _engine

        family = {"categorical": _engine.CATEGORICAL, "binary": _engine.BINARY}[kind]
        engine_loss = _engine.loss
    except (ImportError, AttributeError):
        return None
    return lambda y, x, **kw: engine_loss(family, y, x, from_logits=True, **kw)
