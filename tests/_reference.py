"""High-precision references for skxent's losses and special functions.

Design note
-----------
Every accuracy claim of skxent ("within 4 eps of an exact reference") is checked against the
functions in this module. They are written for *correctness first*:

* Inputs are converted to ``mpmath.mpf`` exactly (a float32 widens to float64 exactly, and a
  float64 converts to an mpf exactly), so the reference is the exact mathematical value for the
  floats the kernel actually saw, not for the decimal numbers the test author had in mind.
* Everything is computed with ``DPS = 60`` significant decimal digits and, more importantly, in
  forms that do not cancel: ``lse - x_k`` is ``(m - x_k) + log1p(rest)`` with ``m`` the row
  maximum and ``rest`` the sum of the other classes' ``exp(x_j - m)``, and the gradient's
  maximum component ``C * p_m - c_m * y_m`` is ``sum_{k != m} c_k y_k - C * rest / s``. Without
  that, a loss of 1e-300 would cancel to 0 even in 60 digits.
* Results are rounded to float64 only at the very end, together with a per-component
  "cancellation scale" for soft-label gradients (``max(|C p_k|, |c_k y'_k|)`` times the weights),
  so a test can ask for a bound relative to the size of the terms that legitimately cancel.

This module is deliberately slow (pure Python, one ``mpf`` per element); keep inputs small
(a few thousand elements per call).
"""

import math

import numpy as np
from mpmath import mp

DPS = 60

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size", "sum_by_nonzero_weights")


def _mpf(x):
    """Exact conversion of one float (any numpy float width) to mpf."""
    return mp.mpf(float(x))


def _row_lse_parts(row):
    """Split a row of mpf logits for a cancellation-free log-sum-exp.

    Returns ``(m_idx, m, e, rest)``: ``m = row[m_idx]`` is the (first) maximum,
    ``e[k] = exp(row[k] - m)`` (0 for -inf, 1 at ``m_idx``) and ``rest = sum_{k != m_idx} e[k]``,
    so that ``lse = m + log1p(rest)`` and ``lse - x_k = (m - x_k) + log1p(rest)``.
    """
    m_idx = 0
    for k in range(1, len(row)):
        if row[k] > row[m_idx]:
            m_idx = k
    m = row[m_idx]
    e = []
    rest = mp.mpf(0)
    for k, v in enumerate(row):
        if k == m_idx:
            e.append(mp.mpf(1))
        elif v == mp.ninf:
            e.append(mp.mpf(0))
        else:
            ek = mp.exp(v - m)
            e.append(ek)
            rest += ek
    return m_idx, m, e, rest


# --------------------------------------------------------------------------------------------
# special functions
# --------------------------------------------------------------------------------------------


def _rows(a):
    a = np.asarray(a)
    if a.ndim == 1:
        return [a], True
    return list(a), False


def logsumexp_ref(a):
    """Exact logsumexp along the last axis, float64. Also returns the cancellation scale.

    Returns ``(value, scale)`` where ``scale = |m| + log1p(rest)`` bounds the size of the two
    terms that are added (``value`` can be much smaller than them when ``m ~ -log1p(rest)``).
    """
    rows, one_d = _rows(a)
    vals, scales = [], []
    with mp.workdps(DPS):
        for r in rows:
            row = [_mpf(v) for v in r]
            if all(v == mp.ninf for v in row):
                vals.append(-math.inf)
                scales.append(math.inf)
                continue
            _, m, _, rest = _row_lse_parts(row)
            l1 = mp.log1p(rest)
            vals.append(float(m + l1))
            scales.append(float(abs(m) + l1))
    vals, scales = np.array(vals), np.array(scales)
    if one_d:
        return vals[0], scales[0]
    return vals, scales


def log_softmax_ref(a):
    """Exact log_softmax along the last axis (elementwise float64)."""
    a = np.asarray(a)
    rows, one_d = _rows(a)
    out = np.empty((len(rows), a.shape[-1]))
    with mp.workdps(DPS):
        for i, r in enumerate(rows):
            row = [_mpf(v) for v in r]
            if all(v == mp.ninf for v in row):  # 0 / 0, as scipy: NaN
                out[i] = math.nan
                continue
            _, m, _, rest = _row_lse_parts(row)
            l1 = mp.log1p(rest)
            for k, v in enumerate(row):
                out[i, k] = -math.inf if v == mp.ninf else float((v - m) - l1)
    return out[0] if one_d else out


def softmax_ref(a):
    """Exact softmax along the last axis (elementwise float64)."""
    a = np.asarray(a)
    rows, one_d = _rows(a)
    out = np.empty((len(rows), a.shape[-1]))
    with mp.workdps(DPS):
        for i, r in enumerate(rows):
            row = [_mpf(v) for v in r]
            if all(v == mp.ninf for v in row):  # 0 / 0, as scipy: NaN
                out[i] = math.nan
                continue
            _, _, e, rest = _row_lse_parts(row)
            s = 1 + rest
            for k in range(len(row)):
                out[i, k] = float(e[k] / s)
    return out[0] if one_d else out


def _softplus(x):
    """log(1 + exp(x)) for an mpf x, accurate for tiny results."""
    if x == mp.inf:
        return mp.inf
    if x == mp.ninf:
        return mp.mpf(0)
    return mp.log1p(mp.exp(x))


def _sigmoid(x):
    if x == mp.inf:
        return mp.mpf(1)
    if x == mp.ninf:
        return mp.mpf(0)
    return 1 / (1 + mp.exp(-x))


def log_sigmoid_ref(x):
    """Exact log(sigmoid(x)) = -softplus(-x), elementwise float64."""
    x = np.asarray(x)
    with mp.workdps(DPS):
        out = np.array([float(-_softplus(-_mpf(v))) for v in x.ravel()])
    return out.reshape(x.shape)


def sigmoid_ref(x):
    """Exact sigmoid, elementwise float64."""
    x = np.asarray(x)
    with mp.workdps(DPS):
        out = np.array([float(_sigmoid(_mpf(v))) for v in x.ravel()])
    return out.reshape(x.shape)


# --------------------------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------------------------


def _reduce(terms, weights, reduction, n_terms):
    """Apply a reduction in mpf. Returns (value, grad_scale): grad of value = scale * d term."""
    if reduction == "none":
        return None, mp.mpf(1)
    total = mp.fsum(terms)
    if reduction == "sum":
        denom = mp.mpf(1)
    elif reduction == "mean":
        denom = mp.fsum(weights)
    elif reduction == "sum_over_batch_size":
        denom = mp.mpf(n_terms)
    elif reduction == "sum_by_nonzero_weights":
        denom = mp.mpf(sum(1 for w in weights if w != 0))
    else:  # pragma: no cover - test bug
        raise ValueError(reduction)
    return total / denom, 1 / denom


def _sums_of_others(v):
    """``[sum_{j != k} v_j for k]`` from prefix and suffix sums (no subtraction)."""
    K = len(v)
    pre = [mp.mpf(0)] * (K + 1)
    suf = [mp.mpf(0)] * (K + 1)
    for k in range(K):
        pre[k + 1] = pre[k] + v[k]
        suf[K - 1 - k] = suf[K - k] + v[K - 1 - k]
    return [pre[k] + suf[k + 1] for k in range(K)]


def _focal_tau(p, lp, om):
    """-p log p / (1 - p) (its limit 1 as p -> 1, om = 1 - p = 0)."""
    return mp.mpf(1) if om == 0 else -p * lp / om


def cce_ref(
    y_true,
    y_pred,
    *,
    from_logits,
    sample_weight=None,
    class_weight=None,
    label_smoothing=0.0,
    focal_gamma=0.0,
    ignore_index=None,
    eps=None,
    clip_max=1.0,
    reduction="mean",
    return_hess=False,
):
    """Exact softmax (or probability) cross-entropy, per the API page's definitions.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,) (integer labels) or (n_samples, n_classes)
    y_pred : ndarray of shape (n_samples, n_classes)
        Logits (``from_logits=True``) or probabilities.
    focal_gamma : float
        Focal exponent g: the term is ``-sum_k c_k y'_k (1 - p_k)**g log p_k``.
    eps : float or None
        Lower clip for probabilities; None means ``np.finfo(y_pred.dtype).eps`` (float64 for
        non-float32 inputs).
    return_hess : bool
        Also return the diagonal of each sample's Hessian with respect to its logits (times
        the reduction's factor) and its cancellation scale (logits only).

    Returns
    -------
    loss : float or ndarray of shape (n_samples,)
        The reduced loss (float) or the per-sample terms for ``reduction="none"``.
    grad : ndarray of shape (n_samples, n_classes)
        Exact derivative of ``loss`` (its sum for "none": each row's own term) w.r.t. y_pred.
    grad_scale : ndarray of shape (n_samples, n_classes)
        Size of the terms whose difference is ``grad`` (``max(|C p_k|, |c_k y'_k|)`` times the
        weights; focal: ``max(|p_k U|, |u_k|)``), for bounding gradients that legitimately
        cancel.
    hess, hess_scale : ndarrays of shape (n_samples, n_classes), with ``return_hess`` only.

    The focal gradient is ``p_j U - u_j`` with ``u_k = c_k y'_k (1 - p_k)**g (1 + g tau_k)``,
    ``tau_k = -p_k log p_k / (1 - p_k)``, ``U = sum_k u_k``; the Hessian's diagonal
    ``p_j (1 - p_j) U'_j - p_j**2 V'_j + c_j y'_j p_j (1 - p_j) (1 - p_j)**g (1 + 2 g +
    g**2 tau_j + g log p_j)`` with ``U'_j = U - u_j``, ``a_k = c_k y'_k p_k psi'(p_k)``,
    ``V'_j = sum_{k != j} a_k`` (``psi(p) = (1 - p)**g (1 + g tau)``). Both are checked against
    ``mpmath.diff`` of the loss in ``tests/test_hessian.py``. ``1 - p_k`` is always the other
    classes' mass over ``s``, never a difference.
    """
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    n, K = y_pred.shape
    dt = y_pred.dtype if y_pred.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if eps is None:
        eps = np.finfo(dt).eps
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
    cw = np.ones(K) if class_weight is None else np.asarray(class_weight)
    sparse = y_true.ndim == 1
    terms, weights = [], []
    gnum = np.zeros((n, K), dtype=object)  # mpf numerators before reduction scaling
    gsc = np.zeros((n, K), dtype=object)
    hnum = np.zeros((n, K), dtype=object)
    hsc = np.zeros((n, K), dtype=object)
    n_terms = 0
    with mp.workdps(DPS):
        e_ls = _mpf(label_smoothing)
        g = _mpf(focal_gamma)
        c = [_mpf(v) for v in cw]
        mp_eps, mp_cmax = _mpf(eps), _mpf(clip_max)
        for i in range(n):
            s_i = _mpf(sw[i])
            if sparse:
                lab = y_true[i]
                if ignore_index is not None and lab == ignore_index:
                    terms.append(mp.mpf(0))
                    weights.append(mp.mpf(0))
                    continue
                y = [mp.mpf(0)] * K
                y[int(lab)] = mp.mpf(1)
            else:
                y = [_mpf(v) for v in y_true[i]]
            n_terms += 1
            weights.append(s_i * mp.fsum(c[k] * y[k] for k in range(K)))
            if e_ls != 0:
                y = [y[k] * (1 - e_ls) + e_ls / K for k in range(K)]
            cy = [c[k] * y[k] for k in range(K)]
            C = mp.fsum(cy)
            row = [_mpf(v) for v in y_pred[i]]
            if from_logits and g == 0:
                m_idx, m, e, rest = _row_lse_parts(row)
                l1 = mp.log1p(rest)
                s = 1 + rest
                t = mp.mpf(0)
                for k in range(K):
                    if cy[k] != 0:
                        t += cy[k] * ((m - row[k]) + l1)
                terms.append(s_i * t)
                for k in range(K):
                    if k == m_idx:
                        # C p_m - c_m y_m = sum_{j != m} c_j y_j - C rest / s, no cancellation
                        g_k = mp.fsum(cy[j] for j in range(K) if j != m_idx) - C * rest / s
                        cp = C / s
                    else:
                        cp = C * e[k] / s
                        g_k = cp - cy[k]
                    gnum[i, k] = s_i * g_k
                    gsc[i, k] = abs(s_i) * max(abs(cp), abs(cy[k]))
                    om = (rest if k == m_idx else s - e[k]) / s
                    hnum[i, k] = s_i * C * (e[k] / s) * om
                    hsc[i, k] = abs(hnum[i, k])
            elif from_logits:
                m_idx, m, e, rest = _row_lse_parts(row)
                l1 = mp.log1p(rest)
                s = 1 + rest
                p = [e[k] / s for k in range(K)]
                om = [(rest if k == m_idx else s - e[k]) / s for k in range(K)]
                nl = [mp.inf if row[k] == mp.ninf else (m - row[k]) + l1 for k in range(K)]
                w = [mp.power(om[k], g) for k in range(K)]
                tau = [mp.mpf(0) if p[k] == 0 else _focal_tau(p[k], -nl[k], om[k])
                       for k in range(K)]
                t = mp.fsum(cy[k] * w[k] * nl[k] for k in range(K) if cy[k] != 0)
                terms.append(s_i * t)
                u = [cy[k] * w[k] * (1 + g * tau[k]) if cy[k] != 0 else mp.mpf(0)
                     for k in range(K)]
                U = mp.fsum(u)
                # a_k = c_k y'_k p_k psi'(p_k), psi(p) = (1 - p)^g (1 + g tau(p))
                a = []
                for k in range(K):
                    if cy[k] == 0 or p[k] == 0 or om[k] == 0:
                        a.append(mp.mpf(0))
                        continue
                    a.append(g * cy[k] * w[k] * (p[k] / om[k])
                             * (nl[k] - 2 - (g - 1) * tau[k]))
                # sums of the *other* classes' u and a, never U - u_k (which cancels even in
                # 60 digits when one class dominates by hundreds of orders of magnitude)
                Uo, Vo = _sums_of_others(u), _sums_of_others(a)
                for k in range(K):
                    g_k = p[k] * Uo[k] - u[k] * om[k]  # p U - u, as (U' p - u (1 - p))
                    gnum[i, k] = s_i * g_k
                    gsc[i, k] = abs(s_i) * max(abs(p[k] * U), abs(u[k]))
                    t1 = p[k] * om[k] * Uo[k]
                    t2 = p[k] ** 2 * Vo[k]
                    t3 = cy[k] * w[k] * p[k] * om[k] * (1 + 2 * g + g * g * tau[k])
                    t4 = cy[k] * w[k] * p[k] * om[k] * g * nl[k] if p[k] != 0 else mp.mpf(0)
                    hnum[i, k] = s_i * (t1 - t2 + t3 - t4)
                    hsc[i, k] = abs(s_i) * (abs(t1) + abs(t2) + abs(t3) + abs(t4))
            else:
                t = mp.mpf(0)
                for k in range(K):
                    p = row[k]
                    pc = min(max(p, mp_eps), mp_cmax)
                    w = mp.power(1 - pc, g) if g != 0 else mp.mpf(1)
                    if cy[k] != 0:
                        t -= cy[k] * w * mp.log(pc)
                    clipped = p < mp_eps or p > mp_cmax
                    if g == 0:
                        g_k = mp.mpf(0) if clipped else -cy[k] / pc
                    else:
                        rho = -1 if pc == 1 else mp.log(pc) / (1 - pc)
                        g_k = mp.mpf(0) if clipped else -cy[k] * w * (1 / pc - g * rho)
                    gnum[i, k] = s_i * g_k
                    gsc[i, k] = abs(s_i * g_k)
                terms.append(s_i * t)
        value, scale = _reduce(terms, weights, reduction, n_terms)
        grad = np.array([[float(scale * gnum[i, k]) for k in range(K)] for i in range(n)])
        grad = grad.reshape(n, K)
        gscale = np.array([[float(scale * gsc[i, k]) for k in range(K)] for i in range(n)])
        gscale = gscale.reshape(n, K)
        hess = np.array([[float(scale * hnum[i, k]) for k in range(K)] for i in range(n)])
        hscale = np.array([[float(scale * hsc[i, k]) for k in range(K)] for i in range(n)])
        loss = np.array([float(t) for t in terms]) if value is None else float(value)
    if return_hess:
        return loss, grad, gscale, hess.reshape(n, K), hscale.reshape(n, K)
    return loss, grad, gscale


def bce_ref(
    y_true,
    y_pred,
    *,
    from_logits,
    sample_weight=None,
    pos_weight=None,
    label_smoothing=0.0,
    focal_gamma=0.0,
    where=None,
    eps=None,
    clip_max=None,
    reduction="mean",
    return_hess=False,
):
    """Exact sigmoid (or probability) binary cross-entropy, per the API page's definitions.

    ``y_pred`` of shape (n_samples,) or (n_samples, n_labels); ``y_true`` the same shape.
    ``sample_weight``: (n_samples,) per sample, or any shape broadcastable to ``y_pred``'s.
    ``where``: a boolean mask broadcastable to ``y_pred``'s shape (False: no term, no weight,
    not counted; ``y_true`` is not read there). ``focal_gamma`` g: the term is
    ``-(pos_weight y' (1 - p)**g log p + (1 - y') p**g log(1 - p))``.
    ``eps`` None means ``np.finfo(dtype).eps``; ``clip_max`` None means ``1 - eps``.

    Returns ``(loss, grad, grad_scale)`` as :func:`cce_ref`, ``grad`` of ``y_pred``'s shape;
    ``loss`` has ``y_pred``'s shape for ``reduction="none"``. With ``return_hess`` (logits
    only) also the second derivatives and their cancellation scale.
    """
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    shape = y_pred.shape
    X = y_pred.reshape(shape[0], -1)
    Y = y_true.reshape(shape[0], -1).astype(np.float64)
    n, L = X.shape
    dt = y_pred.dtype if y_pred.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if eps is None:
        eps = np.finfo(dt).eps
    if sample_weight is None:
        SW = np.ones((n, L))
    elif np.ndim(sample_weight) <= 1:
        SW = np.broadcast_to(np.reshape(sample_weight, (-1, 1)) * np.ones((1, L)), (n, L))
    else:
        SW = np.broadcast_to(np.asarray(sample_weight, np.float64), shape).reshape(n, L)
    M = np.ones((n, L), dtype=bool) if where is None else \
        np.broadcast_to(np.asarray(where), shape).reshape(n, L)
    pw = np.broadcast_to(np.ones(L) if pos_weight is None else np.asarray(pos_weight), (L,))
    terms, weights = [], []
    gnum = np.zeros((n, L), dtype=object)
    gsc = np.zeros((n, L), dtype=object)
    hnum = np.zeros((n, L), dtype=object)
    hsc = np.zeros((n, L), dtype=object)
    n_terms = 0
    with mp.workdps(DPS):
        e_ls = _mpf(label_smoothing)
        g = _mpf(focal_gamma)
        mp_eps = _mpf(eps)
        mp_cmax = 1 - mp_eps if clip_max is None else _mpf(clip_max)
        for i in range(n):
            for j in range(L):
                if not M[i, j]:
                    terms.append(mp.mpf(0))
                    gnum[i, j] = gsc[i, j] = hnum[i, j] = hsc[i, j] = mp.mpf(0)
                    continue
                n_terms += 1
                s_i = _mpf(SW[i, j])
                y = _mpf(Y[i, j])
                if e_ls != 0:
                    y = y * (1 - e_ls) + e_ls / 2
                a = _mpf(pw[j]) * y  # positive-term weight
                b = 1 - y  # negative-term weight
                x = _mpf(X[i, j])
                h = hs = mp.mpf(0)
                if from_logits:
                    A, B = _softplus(-x), _softplus(x)  # -log p, -log(1 - p)
                    sg, sgm = _sigmoid(x), _sigmoid(-x)
                    wp = mp.exp(-g * B) if g != 0 else mp.mpf(1)  # (1 - p)^g
                    wn = mp.exp(-g * A) if g != 0 else mp.mpf(1)  # p^g
                    sA = mp.mpf(0) if sg == 0 else sg * A
                    sB = mp.mpf(0) if sgm == 0 else sgm * B
                    t = mp.mpf(0)
                    if a != 0:
                        t += a * wp * A
                    if b != 0:
                        t += b * wn * B
                    # d/dx: b p^g (p + g (1-p) B) - a (1-p)^g ((1-p) + g p A)
                    u = b * wn * (sg + g * sB) if b != 0 else mp.mpf(0)
                    v = a * wp * (sgm + g * sA) if a != 0 else mp.mpf(0)
                    gr, sc = u - v, max(abs(u), abs(v))
                    # d2/dx2: a (1-p)^g p [(2g+1)(1-p) - g (1-p) A + g^2 p A] + mirrored
                    hp = [a * wp * sg * (2 * g + 1) * sgm, -a * wp * sg * g * sgm * A,
                          a * wp * g * g * sg * sA] if a != 0 and sg != 0 else []
                    hn = [b * wn * sgm * (2 * g + 1) * sg, -b * wn * sgm * g * sg * B,
                          b * wn * g * g * sgm * sB] if b != 0 and sgm != 0 else []
                    h = mp.fsum(hp + hn)
                    hs = mp.fsum(abs(v_) for v_ in hp + hn)
                else:
                    pc = min(max(x, mp_eps), mp_cmax)
                    wp = mp.power(1 - pc, g) if g != 0 else mp.mpf(1)
                    wn = mp.power(pc, g) if g != 0 else mp.mpf(1)
                    t = mp.mpf(0)
                    if a != 0:
                        t -= a * wp * mp.log(pc)
                    if b != 0:
                        t -= b * wn * mp.log1p(-pc)
                    if x < mp_eps or x > mp_cmax:
                        gr = sc = mp.mpf(0)
                    elif g == 0:
                        u, v = b / (1 - pc), a / pc
                        gr, sc = u - v, max(abs(u), abs(v))
                    else:
                        rp = -1 if pc == 1 else mp.log(pc) / (1 - pc)
                        rn = -1 if pc == 0 else mp.log1p(-pc) / pc
                        u = b * wn * (1 / (1 - pc) - g * rn)
                        v = a * wp * (1 / pc - g * rp)
                        gr, sc = u - v, max(abs(u), abs(v))
                terms.append(s_i * t)
                weights.append(s_i)
                gnum[i, j] = s_i * gr
                gsc[i, j] = abs(s_i) * sc
                hnum[i, j] = s_i * h
                hsc[i, j] = abs(s_i) * hs
        value, scale = _reduce(terms, weights, reduction, n_terms)

        def out(arr):
            return np.array([[float(scale * arr[i, j]) for j in range(L)]
                             for i in range(n)]).reshape(shape)

        grad, gscale = out(gnum), out(gsc)
        if value is None:
            loss = np.array([float(t) for t in terms]).reshape(shape)
        else:
            loss = float(value)
        if return_hess:
            return loss, grad, gscale, out(hnum), out(hsc)
    return loss, grad, gscale


def assert_within(got, ref, *, rtol, atol, scale=None, what="value"):
    """Assert ``|got - ref| <= rtol * scale + atol`` elementwise (in float64).

    ``scale`` defaults to ``|ref|``. Equal values (including equal infinities, and NaN where
    the reference is NaN) pass. On failure the message shows the worst element, its error in
    units of ``rtol``-relative error and the values, so a report can quote it directly.
    """
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != reference {ref.shape}"
    scale = np.abs(ref) if scale is None else np.broadcast_to(np.asarray(scale, np.float64), ref.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - ref)
        same = (got == ref) | (np.isnan(got) & np.isnan(ref))
        # a non-finite value on either side must match exactly (inf == inf, nan <-> nan)
        nonfinite = ~np.isfinite(got) | ~np.isfinite(ref)
        err = np.where(same, 0.0, np.where(nonfinite | np.isnan(err), np.inf, err))
        bound = np.where(np.isfinite(scale), rtol * scale, 0.0) + atol
        ratio = np.where(err == 0, 0.0, err / np.where(bound == 0, 1e-300, bound))
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
    if ratio.size and np.max(ratio) > 1:
        idx = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.ndim else ()
        n_bad = int(np.sum(ratio > 1))
        raise AssertionError(
            f"{what}: {n_bad} of {ratio.size} elements out of tolerance; worst at {idx}: "
            f"got {got[idx]!r}, reference {ref[idx]!r}, |err| = {err[idx]:.3e} = "
            f"{float(ratio[idx]):.2f} x (rtol * scale + atol) with rtol = {rtol:.3e}, "
            f"atol = {atol:.3e}, scale = {float(scale[idx]):.3e}"
        )


# --------------------------------------------------------------------------------------------
# memory layouts
# --------------------------------------------------------------------------------------------

LAYOUTS = ("C", "F", "strided_cols", "strided_rows", "negative", "readonly")


def make_layout(a, layout):
    """Return an array equal to ``a`` (same dtype) in the requested memory layout.

    "strided_cols" is ``x[:, ::2]`` of a wider array (non-contiguous inner axis),
    "strided_rows" is ``x[::2]`` of a taller one, "negative" has negative strides on every
    axis, "readonly" is a C-contiguous copy with ``writeable=False``. 1-D arrays treat the
    column variants like the row ones.
    """
    a = np.asarray(a)
    if layout == "C":
        return np.ascontiguousarray(a).copy()
    if layout == "F":
        return np.asfortranarray(a).copy()
    if layout == "readonly":
        b = np.array(a, copy=True)
        b.setflags(write=False)
        return b
    if layout == "negative":
        rev = tuple(slice(None, None, -1) for _ in range(a.ndim))
        return a[rev].copy()[rev]
    if layout in ("strided_cols", "strided_rows"):
        if a.ndim == 1 or layout == "strided_rows":
            big = np.full((2 * a.shape[0],) + a.shape[1:], 7, dtype=a.dtype)
            big[::2] = a
            return big[::2]
        big = np.full((a.shape[0], 2 * a.shape[1]), 7, dtype=a.dtype)
        big[:, ::2] = a
        return big[:, ::2]
    raise ValueError(layout)  # pragma: no cover - test bug


def check_fd(f, X, grad, h=1e-6, rtol=1e-6):
    """Central finite differences of the scalar function f at X vs grad (all entries)."""
    X = np.asarray(X, dtype=np.float64)
    fd = np.empty_like(X)
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += h
        Xm[idx] -= h
        fd[idx] = (float(np.sum(f(Xp))) - float(np.sum(f(Xm)))) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=rtol, atol=rtol * np.abs(fd).max())


def assert_matches_numpy(loss, grad, exp_loss, exp_grad, dtype):
    """A fuzzed loss and gradient against the NumPy transcription of the API reference: NaN where the
    transcription gives NaN everywhere (NaN logits), else equal to 1e-10
    (float64) / 1e-4 (float32) relative."""
    if np.all(np.isnan(exp_loss)):
        assert np.all(np.isnan(loss))
        return
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(np.asarray(loss, np.float64), exp_loss, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(grad, exp_grad, rtol=rtol, atol=rtol * 1e-3)


def engine_cce(y_true, y_pred, **kw):
    """The engine's categorical loss (what the metrics, estimators and sampled losses call),
    with the public function's defaults: ``skxent._engine.loss(CATEGORICAL, ...)``."""
    from skxent._engine import CATEGORICAL, loss

    return loss(CATEGORICAL, y_true, y_pred, **kw)


def engine_bce(y_true, y_pred, **kw):
    """The engine's binary loss: ``skxent._engine.loss(BINARY, ...)``."""
    from skxent._engine import BINARY, loss

    return loss(BINARY, y_true, y_pred, **kw)


def kl_ref(
    y_true,
    y_pred,
    *,
    from_logits,
    log_target=False,
    temperature=1.0,
    sample_weight=None,
    reduction="mean",
):
    """Exact Kullback-Leibler divergence ``KL(y || q)`` per row, per the API's definition.

    ``KL_i = sum_{y_ik > 0} y_ik (log y_ik - log q_ik)``, ``q = softmax(y_pred / temperature)``
    (``from_logits``; the log-softmax split as in :func:`cce_ref`, so nothing cancels before the
    final difference, which 60 digits carry far below the float64 result) or the probabilities
    ``y_pred`` as given. ``log_target``: ``y_true`` holds ``log y`` (then ``y = exp(log y)``
    exactly, the log used as given). The weight of a sample is its ``sample_weight``.

    Returns ``(loss, grad, grad_scale)`` as :func:`cce_ref`: ``grad`` the derivative with
    respect to ``y_pred`` (``sw (S q - y) / T`` for logits, ``-sw y / q`` for probabilities);
    ``grad_scale`` the size of the terms whose difference it is, ``sw max(S q_k, y_k) / T``
    (logits) or ``|grad|`` (probabilities), for bounding components that cancel.
    """
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    n, K = y_pred.shape
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
    terms, weights = [], []
    gnum = np.zeros((n, K), dtype=object)
    gsc = np.zeros((n, K), dtype=object)
    with mp.workdps(DPS):
        T = _mpf(temperature)
        for i in range(n):
            s_i = _mpf(sw[i])
            weights.append(s_i)
            if log_target:
                ly = [_mpf(v) for v in y_true[i]]
                y = [mp.mpf(0) if v == mp.ninf else mp.exp(v) for v in ly]
            else:
                y = [_mpf(v) for v in y_true[i]]
                ly = [mp.log(v) if v > 0 else mp.ninf for v in y]
            S = mp.fsum(y)
            row = [_mpf(v) for v in y_pred[i]]
            if from_logits:
                u = [v / T for v in row]
                m_idx, m, e, rest = _row_lse_parts(u)
                l1 = mp.log1p(rest)
                s = 1 + rest
                logq = [mp.ninf if v == mp.ninf else (v - m) - l1 for v in u]
                q = [e[k] / s for k in range(K)]
            else:
                q = row
                logq = [mp.log(v) if v > 0 else mp.ninf for v in q]
            t = mp.mpf(0)
            for k in range(K):
                if y[k] != 0:
                    t += y[k] * (ly[k] - logq[k])
            terms.append(s_i * t if s_i != 0 else mp.mpf(0))
            for k in range(K):
                if from_logits:
                    g = (S * q[k] - y[k]) / T
                    sc = max(abs(S * q[k]), abs(y[k])) / T
                elif y[k] == 0:
                    g = sc = mp.mpf(0)
                else:
                    g = -y[k] / q[k] if q[k] != 0 else mp.ninf
                    sc = abs(g)
                gnum[i, k] = s_i * g if s_i != 0 else mp.mpf(0)
                gsc[i, k] = abs(s_i) * sc if s_i != 0 else mp.mpf(0)
        value, scale = _reduce(terms, weights, reduction, n)
        grad = np.array([[float(scale * gnum[i, k]) for k in range(K)] for i in range(n)])
        grad = grad.reshape(n, K)
        gscale = np.array([[float(scale * gsc[i, k]) for k in range(K)] for i in range(n)])
        gscale = gscale.reshape(n, K)
        loss = np.array([float(t) for t in terms]) if value is None else float(value)
    return loss, grad, gscale


def engine_kl(y_true, y_pred, **kw):
    """The engine's KL divergence family: ``skxent._engine.loss(KL, ...)``."""
    from skxent._engine import KL, loss

    return loss(KL, y_true, y_pred, **kw)
