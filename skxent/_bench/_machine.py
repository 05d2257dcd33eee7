"""What machine a benchmark ran on, recorded next to its timings.

Design note
-----------
A ratio measured on one machine says little about another unless the reader knows what the
machine was: the CPU, how many cores (physical and logical: SMT siblings share execution units,
so 4 logical cores may scale like 2), which SIMD level skxent's kernels dispatched to, which
OpenMP runtime and BLAS were loaded (``threadpoolctl.threadpool_info()``, the same view
``threadpool_limits`` acts on), the library versions, and how busy the machine was (load average
before and after). Everything here reads what the system already exposes (``/proc/cpuinfo`` on
Linux, ``platform`` elsewhere); nothing is probed by timing.
"""

import importlib
import importlib.metadata
import os
import platform
import sys

__all__ = ["cpu_model", "core_counts", "load_average", "machine_info", "library_versions"]


def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as fh:
            return fh.read()
    except OSError:
        return ""


def cpu_model():
    """The CPU's marketing name (``/proc/cpuinfo``'s ``model name``, else ``platform``)."""
    for line in _cpuinfo().splitlines():
        if line.startswith("model name") or line.startswith("Model"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def core_counts():
    """``(physical, logical, usable)``: cores, hardware threads, CPUs this process may run on.

    ``physical`` is the number of distinct (package, core) pairs in ``/proc/cpuinfo``; None where
    that file does not say (then only the logical count is known).
    """
    logical = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = logical
    cores = set()
    package = core = None
    for line in _cpuinfo().splitlines() + [""]:
        if not line.strip():
            if core is not None:
                cores.add((package, core))
            package = core = None
        elif line.startswith("physical id"):
            package = line.split(":", 1)[1].strip()
        elif line.startswith("core id"):
            core = line.split(":", 1)[1].strip()
    physical = len(cores) if cores else None
    return physical, logical, usable


def load_average():
    """The 1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


_DISTRIBUTIONS = {
    "numpy": "numpy",
    "scipy": "scipy",
    "scikit-learn": "sklearn",
    "threadpoolctl": "threadpoolctl",
    "torch": "torch",
    "tensorflow": "tensorflow",
    "dask": "dask",
    "dask-ml": "dask_ml",
    "matplotlib": "matplotlib",
}


def library_versions():
    """Versions of skxent and of every library the benchmark may use (None: not installed).

    A module already imported reports its own ``__version__`` (the one that actually ran); the
    others are read from the installed metadata, without importing them.
    """
    import skxent

    out = {"python": platform.python_version(), "skxent": skxent.__version__}
    for dist, module in _DISTRIBUTIONS.items():
        mod = sys.modules.get(module)
        version = getattr(mod, "__version__", None) if mod is not None else None
        if version is None:
            try:
                version = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                version = None
        out[dist] = version
    return out


def _threadpools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - a dependency of skxent
        return []
    keep = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer",
            "architecture", "filepath")
    return [{k: p.get(k) for k in keep if k in p} for p in threadpool_info()]


def machine_info():
    """A JSON-ready dict describing this machine and skxent's build on it."""
    import skxent

    physical, logical, usable = core_counts()
    cfg = skxent.show_config(return_dict=True)
    pools = _threadpools()
    return {
        "cpu_model": cpu_model(),
        "physical_cores": physical,
        "logical_cores": logical,
        "usable_cpus": usable,
        "platform": platform.platform(),
        "architecture": platform.machine(),
        "python": sys.version.split()[0],
        "simd": cfg["simd"],
        "skxent_openmp": cfg["openmp"],
        "skxent_max_threads": cfg["max_threads"],
        "skxent_parallel_threshold": cfg["parallel_threshold"],
        "openmp_runtimes": sorted({p.get("internal_api") for p in pools
                                   if p.get("user_api") == "openmp"} - {None}),
        "blas": sorted({f"{p.get('internal_api')} {p.get('version')}" for p in pools
                        if p.get("user_api") == "blas"}),
        "threadpools": pools,
    }
