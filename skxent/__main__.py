"""``skxent-showcase`` / ``python -m skxent``: the showcase (the README's first command).

Design note
-----------
A short tour on data that ships with scikit-learn (digits): the build, the losses' accuracy
where other libraries round to zero, their speed next to scikit-learn's own loss module (timed
interleaved, medians; a quick look, the real numbers come from ``benchmarks/``), the drop-in
``log_loss``, the estimators against scikit-learn's (``skxent._showcase``), and the same model
fitted on dask arrays over a two-worker cluster (when ``skxent[dask]`` is installed). Each part is
skipped with a note if its module is unavailable, so the showcase never hides a failure of the
core behind an optional piece.
"""

import argparse
import statistics
import sys
import time

import numpy as np


def _median_time(fn, repeats=5):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _interleaved(fns, repeats=5):
    fns[0][1]()
    times = {name: [] for name, _ in fns}
    for _ in range(repeats):
        for name, fn in fns:
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def losses_showcase(out, quick=False):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss as sk_log_loss
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from . import losses, special

    print("\n== 1. Losses on digits (scikit-learn's LogisticRegression scores) ==", file=out)
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0, stratify=y)
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(Xtr, ytr)
    scores = clf.decision_function(Xte)
    proba = clf.predict_proba(Xte)
    ce_logits = losses.categorical_cross_entropy(yte, scores, from_logits=True)
    ce_proba = losses.categorical_cross_entropy(yte, proba, from_logits=False)
    print(f"  categorical_cross_entropy(from_logits=True)  = {ce_logits:.15f}", file=out)
    print(f"  categorical_cross_entropy(from_logits=False) = {ce_proba:.15f}", file=out)
    print(f"  sklearn.metrics.log_loss(predict_proba)      = {sk_log_loss(yte, proba):.15f}",
          file=out)
    per = losses.categorical_cross_entropy(yte, scores, from_logits=True, reduction="none")
    naive = -np.log(special.softmax(scores)[np.arange(len(yte)), yte])
    np_naive = -(scores[np.arange(len(yte)), yte]
                 - np.log(np.exp(scores - scores.max(1, keepdims=True)).sum(1))
                 - scores.max(1))
    i = int(np.argmin(per))
    print(f"  most confident test sample: skxent loss {per[i]:.6e}, naive -log(softmax) "
          f"{naive[i]:.6e}, numpy lse - x_t {np_naive[i]:.6e}", file=out)
    print(f"  test samples whose loss the naive formulas round to 0: "
          f"{int(np.sum(naive == 0))} / {len(yte)}; skxent: {int(np.sum(per == 0))}", file=out)

    print("\n== 2. Accuracy where others round to zero ==", file=out)
    z = np.array([[40.0, 0.0, -3.0], [200.0, 1.0, 0.0], [0.0, -np.inf, 5.0]])
    t = np.array([0, 0, 2])
    loss, grad = losses.categorical_cross_entropy(t, z, from_logits=True, reduction="none",
                                                  return_grad=True)
    with np.errstate(all="ignore"):
        m = z.max(1, keepdims=True)
        naive = (np.log(np.exp(z - m).sum(1)) + m[:, 0]) - z[np.arange(3), t]
    for r in range(3):
        print(f"  logits {z[r]} target {t[r]}: loss {loss[r]:.17g} (numpy lse - x_t: "
              f"{naive[r]:.3g}), grad {grad[r]}", file=out)
    print("  (exact: exp(-40) + exp(-43) = 4.46e-18; exp(-199) + exp(-200) = 5.15e-87; the"
          " masked class gets gradient exactly 0)", file=out)
    b = losses.binary_cross_entropy(np.array([1.0, 0.0]), np.array([50.0, -800.0]),
                                    from_logits=True, reduction="none")
    print(f"  sigmoid: loss(y=1, logit 50) = {b[0]:.6e} (= exp(-50)), "
          f"loss(y=0, logit -800) = {b[1]:.3e}", file=out)

    print("\n== 3. Speed: softmax cross-entropy, 1e6 x 10 logits, integer labels ==", file=out)
    n = 200_000 if quick else 1_000_000
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((n, 10)) * 3
    T = rng.integers(0, 10, n)
    from ._config import effective_n_threads

    nt = effective_n_threads(None)
    fns = [("skxent", lambda: losses.categorical_cross_entropy(T, Z, from_logits=True))]
    try:
        from sklearn._loss.loss import HalfMultinomialLoss

        hm = HalfMultinomialLoss(n_classes=10)
        Tf = T.astype(np.float64)
        fns.append(("sklearn._loss", lambda: hm.loss(Tf, Z, n_threads=nt).mean()))
    except Exception:  # pragma: no cover - private module moved
        pass
    fns.append(("np.sum (floor)", lambda: np.sum(Z)))
    med = _interleaved(fns, repeats=3 if quick else 5)
    for k, v in med.items():
        print(f"  {k:<16} {v * 1e3:8.2f} ms  ({med[k] / med['skxent']:.2f}x skxent's time)",
              file=out)
    print("  (a quick look; benchmarks/bench_losses.py is the real measurement)", file=out)


def metrics_showcase(out):
    try:
        from . import metrics
    except Exception as exc:  # pragma: no cover
        print(f"\n(skxent.metrics unavailable: {exc})", file=out)
        return
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss as sk_log_loss
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    print("\n== 4. skxent.metrics.log_loss: drop-in for scikit-learn's ==", file=out)
    X, y = load_digits(return_X_y=True)
    names = np.array(list("abcdefghij"))[y]  # string labels work as in scikit-learn
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    # one BLAS thread: the printed comparison is then the same on every machine and load (with
    # several, OpenBLAS's partition of the products can change the last bits of the probabilities)
    with threadpool_limits(1, user_api="blas"):
        proba = model.fit(X, names).predict_proba(X)
    a, b = metrics.log_loss(names, proba), sk_log_loss(names, proba)
    print(f"  skxent {a:.17g}   sklearn {b:.17g}   relative difference {abs(a - b) / b:.1e}",
          file=out)
    s1 = cross_val_score(model, X, y, cv=3, scoring="neg_log_loss")
    s2 = cross_val_score(model, X, y, cv=3, scoring=metrics.neg_log_loss_scorer)
    s3 = cross_val_score(model, X, y, cv=3, scoring=metrics.neg_log_loss_logits_scorer)
    print(f"  cross_val_score neg_log_loss: sklearn {s1.mean():.6f}, skxent scorer "
          f"{s2.mean():.6f}, from decision_function {s3.mean():.6f}", file=out)


def _showcase_part(out, name, header):
    """Section ``header``: ``skxent._showcase.<name>``, or a note if it cannot be imported."""
    try:
        from . import _showcase

        run = getattr(_showcase, name)
    except Exception as exc:  # pragma: no cover
        print(f"\n({name} unavailable: {exc})", file=out)
        return
    print(f"\n{header}", file=out)
    run(file=out)


def estimators_showcase(out):
    _showcase_part(out, "estimators_showcase",
                   "== 5. Estimators: SoftmaxRegression and MultiLabelLogistic ==")


def dask_showcase(out):
    _showcase_part(out, "dask_showcase",
                   "== 6. Scaling out with Dask: the same model on a 2-worker cluster ==")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="skxent-showcase", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller timing inputs")
    args = parser.parse_args(argv)
    out = sys.stdout
    from . import show_config

    show_config(file=out)
    losses_showcase(out, quick=args.quick)
    metrics_showcase(out)
    estimators_showcase(out)
    dask_showcase(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
