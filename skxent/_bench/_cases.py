"""What one benchmark case is: data at a size, and contenders at a thread count.

Design note
-----------
A case (say "softmax CE loss, float64") is measured at several *points*: a ladder of input sizes
(how the cost grows) at the largest thread count, and the largest size at every thread count of
the sweep (how it scales). Fits run their ladder at the fewest threads instead (``ladder_at``):
at more threads scikit-learn's BLAS pool, spinning on a busy machine, makes its fit times
erratic by seconds, which would bury the growth with size; the sweep at the largest size still
shows that effect, once. Data depends only on the size, so it is made once per size and shared
by that size's thread points; contenders are built per point because their thread count is part
of them (``n_threads=``). Every case names exactly one contender ``"skxent"``, the baseline of
its ratios; the others have a role (``peer``, ``floor``, ``reference``: a baseline that is not a
library, such as the full softmax a sampled loss replaces, or ``skxent-variant``) and, for peers,
the library they belong to.

Before timing, each contender is called once and its value compared with a reference computed
independently (NumPy in float64, or scikit-learn for the metrics), so that a fast wrong answer is
flagged in the results rather than reported as a speed-up. Fits are not called twice for that:
their final objectives are evaluated by one formula after timing (``Point.after``).
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

__all__ = ["Case", "Contender", "Point", "SIZE_LEVELS", "value_of"]

SIZE_LEVELS = ("small", "default", "large")


@dataclass
class Contender:
    fn: Callable
    role: str = "peer"  # "skxent", "skxent-variant", "peer", "floor", "reference"
    library: Optional[str] = None  # the peer library ("sklearn", "torch", ...), None otherwise
    check: bool = True  # compare its first value with the point's reference


@dataclass
class Point:
    contenders: dict
    reference: Optional[float] = None
    rtol: float = 1e-9
    after: Optional[Callable] = None  # () -> {contender: {extra fields}}, run after timing
    skipped: dict = field(default_factory=dict)  # contender -> why it is not run at this point


@dataclass
class Case:
    suite: str
    name: str
    title: str
    dtype: Optional[str]
    sizes: dict  # level -> list of sizes (the swept quantity, an int)
    size_info: Callable  # size -> dict of the input's dimensions
    size_label: Callable  # size -> short text
    x_label: str  # what the size axis measures
    x_value: Callable  # size -> the number on the size axis (e.g. n x k logits)
    data: Callable  # size -> data
    point: Callable  # (data, threads, peers) -> Point
    cost: Callable  # size -> rough seconds per call per contender (progress estimate only)
    n_contenders: int = 4
    repeats: int = 7
    warmup: int = 2
    min_time: float = 0.01
    max_time: Optional[float] = 30.0  # time budget of a point's timed rounds (harness)
    short: Optional[str] = None  # panel title in the plots (default: title)
    ladder_at: str = "max"  # thread count of the size ladder: "max" or "min" of the sweep
    notes: list = field(default_factory=list)

    def sizes_for(self, level, quick):
        if quick:
            return list(self.sizes["small"][:2])
        return list(self.sizes[level])


def value_of(result):
    """The scalar a contender returned (first element of a tuple, mean of an array)."""
    if isinstance(result, tuple):
        result = result[0]
    if hasattr(result, "numpy"):  # TensorFlow tensor
        result = result.numpy()
    arr = np.asarray(result, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else float(arr.mean())
