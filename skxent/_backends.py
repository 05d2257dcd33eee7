"""Backend selection: where a computation runs, chosen once per public call from its arrays.

Design note
-----------
Public functions used to test ``any_dask(...)`` themselves and call a different private entry
point per backend. Here one function, :func:`for_arrays`, returns the backend for the arrays a
call was given, and every backend offers the same operations with the same signatures:

* ``loss(family, y_true, y_pred, **options)``: a loss family's reduced or per-term loss;
* ``log_loss(...)`` and ``multilabel_log_loss(...)``: the metrics' computations, after the
  public module's parameter checks.

:data:`IN_MEMORY` runs the engine on NumPy arrays; :mod:`skxent._dask` runs the same engine on
every chunk of dask arrays and combines the chunks' sums. The selection costs one dictionary
lookup when dask was never imported (a dask array cannot exist before ``dask.array`` is).

Layer: above the engine and the backends, below the public modules.
"""

from types import SimpleNamespace

from . import _dask, _engine, _log_loss

__all__ = ["IN_MEMORY", "for_arrays"]

#: The in-memory backend.
IN_MEMORY = SimpleNamespace(
    name="in-memory",
    loss=_engine.loss,
    log_loss=_log_loss.log_loss,
    multilabel_log_loss=_log_loss.multilabel_log_loss,
)


def for_arrays(*arrays):
    """The backend for a call given ``arrays`` (``None`` entries are ignored)."""
    return _dask.BACKEND if _dask.any_dask(*arrays) else IN_MEMORY
