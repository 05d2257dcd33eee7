"""Build and threading configuration.

Design note
-----------
``n_threads=None`` means "what OpenMP would use now": we ask the OpenMP runtime the kernels are
linked against (``omp_get_max_threads``) at every call, so ``OMP_NUM_THREADS`` and
``threadpoolctl.threadpool_limits(n, user_api="openmp")`` both apply, exactly as they do to
scikit-learn's OpenMP code. Results never depend on the thread count (fixed chunking in the
kernels), so this only changes speed.
"""

import numbers
import sys

from . import _core
from ._version import __version__

__all__ = ["show_config", "effective_n_threads"]


def effective_n_threads(n_threads):
    """Resolve the ``n_threads`` argument of every public function.

    Parameters
    ----------
    n_threads : int >= 1 or None
        ``None`` uses OpenMP's current maximum (``OMP_NUM_THREADS``, threadpoolctl).

    Returns
    -------
    int
    """
    if n_threads is None:
        return max(1, _core.max_threads())
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be an int >= 1 or None, got {n_threads!r}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1 or None, got {n_threads}")
    return int(min(n_threads, 2**30))


def show_config(*, return_dict=False, file=None):
    """Print (or return) how skxent's kernels were built and how they will run.

    Parameters
    ----------
    return_dict : bool, default=False
        Return the information as a dict instead of printing it.
    file : file-like, default=None
        Where to print (``sys.stdout`` by default).

    Returns
    -------
    dict or None
        Keys: ``"version"``, ``"openmp"`` (bool: kernels built with OpenMP), ``"max_threads"``
        (threads ``n_threads=None`` uses now), ``"simd"`` (instruction set the kernels dispatched
        to on this CPU), ``"parallel_threshold"`` (elements below which kernels run serially).

    See Also
    --------
    threadpoolctl.threadpool_limits : Limit the OpenMP threads (``user_api="openmp"``) that
        ``n_threads=None`` uses, as for scikit-learn's OpenMP code.

    Examples
    --------
    >>> import skxent
    >>> info = skxent.show_config(return_dict=True)
    >>> sorted(info)
    ['max_threads', 'openmp', 'parallel_threshold', 'simd', 'version']
    >>> info["max_threads"] >= 1
    True

    Printed, it reads (values from one machine)::

        skxent 0.1.0
          OpenMP:             enabled
          threads (None):     2
          SIMD dispatch:      avx512 (x86-64-v4)
          serial below:       65536 elements
    """
    info = {
        "version": __version__,
        "openmp": _core.openmp_enabled(),
        "max_threads": _core.max_threads(),
        "simd": _core.simd_level(),
        "parallel_threshold": _core.PAR_MIN,
    }
    if return_dict:
        return info
    out = file if file is not None else sys.stdout
    print(f"skxent {info['version']}", file=out)
    print(f"  OpenMP:             {'enabled' if info['openmp'] else 'DISABLED (serial build)'}",
          file=out)
    print(f"  threads (None):     {info['max_threads']}", file=out)
    print(f"  SIMD dispatch:      {info['simd']}", file=out)
    print(f"  serial below:       {info['parallel_threshold']} elements", file=out)
    return None
