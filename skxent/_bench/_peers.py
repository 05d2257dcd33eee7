"""The libraries skxent is compared with, imported only when present and asked for.

Design note
-----------
A benchmark that needs every peer installed would only ever run on the developer's machine, so
each peer is optional except scikit-learn (a dependency of skxent): ``--peers auto`` uses whatever
imports, ``--peers none`` times skxent alone (with the floor), ``--peers torch,sklearn`` exactly
those (an explicitly named peer that does not import is an input error, found before anything is
measured).

Threads. Each peer is given the thread count of the run it is in, by its own mechanism:
scikit-learn through ``n_threads=`` (its private losses) and ``threadpool_limits`` (BLAS, OpenMP),
PyTorch through ``torch.set_num_threads`` (changeable at any time). TensorFlow's thread pools can
only be configured before its runtime starts and never changed afterwards, so it is configured
once, at import, with the largest thread count of the sweep (inter-op pool 1, so the total stays
at that count), and its rows are timed at that thread count only; the results say so
(``notes``). If the runtime was already started by someone else, the setting fails and that is
recorded too.
"""

import importlib
import importlib.util
import os

__all__ = ["KNOWN", "PeerUnavailable", "Peers", "parse_peers"]

#: Peer names accepted by ``--peers`` -> (module to import, display name).
KNOWN = {
    "sklearn": ("sklearn", "scikit-learn"),
    "torch": ("torch", "PyTorch"),
    "tensorflow": ("tensorflow", "TensorFlow"),
    "dask-ml": ("dask_ml", "dask-ml"),
}
_ALIASES = {
    "scikit-learn": "sklearn",
    "pytorch": "torch",
    "tf": "tensorflow",
    "dask_ml": "dask-ml",
    "daskml": "dask-ml",
}


class PeerUnavailable(ImportError):
    """A peer named in ``--peers`` is installed but does not import."""


def parse_peers(spec):
    """``--peers`` value -> ``(mode, names)``; raise ValueError on an unknown name.

    ``mode`` is ``"auto"`` (all that import), ``"none"`` or ``"names"``.
    """
    spec = (spec or "auto").strip().lower()
    if spec in ("auto", "none"):
        return spec, list(KNOWN) if spec == "auto" else []
    names = []
    for raw in spec.replace(" ", ",").split(","):
        if not raw:
            continue
        name = _ALIASES.get(raw, raw)
        if name not in KNOWN:
            raise ValueError(
                f"unknown peer {raw!r}: choose auto, none, or names among "
                f"{', '.join(KNOWN)} (aliases: {', '.join(_ALIASES)})"
            )
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError("--peers is empty: give auto, none, or peer names")
    return "names", names


def find_missing(names):
    """The requested peers that are not installed (found without importing them)."""
    return [n for n in names if importlib.util.find_spec(KNOWN[n][0]) is None]


class Peers:
    """The imported peer modules (None when absent or not requested) and notes about them."""

    def __init__(self, names, *, max_threads, strict):
        self.requested = list(names)
        self.sklearn = self.torch = self.tf = self.dask_ml = None
        self.status = {}
        self.notes = []
        self.tf_threads = None
        for name in names:
            try:
                mod = self._import(name, max_threads)
            except Exception as exc:  # noqa: BLE001 - an optional peer
                if strict:
                    raise PeerUnavailable(f"peer {name!r} requested but not importable: "
                                      f"{type(exc).__name__}: {exc}") from exc
                self.status[name] = {"available": False,
                                     "reason": f"{type(exc).__name__}: {exc}"[:300]}
                continue
            setattr(self, {"tensorflow": "tf", "dask-ml": "dask_ml"}.get(name, name), mod)
            self.status[name] = {"available": True,
                                 "version": getattr(mod, "__version__", None)}
        for name in KNOWN:
            self.status.setdefault(name, {"available": False, "reason": "not requested"})

    def _import(self, name, max_threads):
        if name == "tensorflow":
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            tf = importlib.import_module("tensorflow")
            try:
                tf.config.threading.set_intra_op_parallelism_threads(max_threads)
                tf.config.threading.set_inter_op_parallelism_threads(1)
                self.tf_threads = max_threads
                self.notes.append(
                    f"tensorflow: intra-op pool set to {max_threads} threads (inter-op 1) before "
                    "first use; TensorFlow cannot change it later, so its rows are timed at "
                    f"threads={max_threads} only"
                )
            except RuntimeError as exc:
                self.notes.append(
                    f"tensorflow: could not set its thread pools ({exc}); its runtime was already "
                    "started, so its rows run with whatever pools it has and are timed at the "
                    "largest thread count only"
                )
                self.tf_threads = max_threads
            return tf
        if name == "dask-ml":
            importlib.import_module("dask_ml.linear_model")
        return importlib.import_module(KNOWN[name][0])

    def set_threads(self, n):
        """Give the peers that can change their thread count at run time ``n`` threads."""
        if self.torch is not None:
            self.torch.set_num_threads(n)

    def tf_runs_at(self, n):
        """Whether TensorFlow rows are timed at thread count ``n`` (see the design note)."""
        return self.tf is not None and n == self.tf_threads
