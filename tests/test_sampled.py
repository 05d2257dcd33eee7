"""Tests of the sampled softmax / NCE losses and the log-uniform candidate sampler.

The reference below is a direct, loop-level NumPy transcription of TensorFlow's
``_compute_sampled_logits`` + ``softmax_cross_entropy_with_logits_v2`` / ``sigmoid_cross_entropy_
with_logits`` (and of its gradients, written densely over all classes), independent of the
vectorised gather/reduce code under test.
"""

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logsumexp, softmax

try:
    from skxent.losses import (
        categorical_cross_entropy,
        log_uniform_candidate_sampler,
        nce_loss,
        sampled_softmax_loss,
    )
except ImportError:  # until skxent.losses re-exports the functions of skxent._sampled
    from skxent.losses import categorical_cross_entropy
    from skxent._sampled import log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss

FLT_MAX = float(np.finfo(np.float32).max)
LOSSES = {"softmax": sampled_softmax_loss, "nce": nce_loss}


# --------------------------------------------------------------------------- reference


def log_uniform_p(c, range_max):
    c = np.asarray(c, dtype=np.float64)
    return (np.log(c + 2) - np.log(c + 1)) / np.log(range_max + 1)


def reference(kind, W, b, labels, x, sampled, tq, sq, remove_accidental_hits):
    """Loss (batch,) and dense gradients of sum(loss) w.r.t. x, W, b (float64)."""
    W, b, x = (np.asarray(a, dtype=np.float64) for a in (W, b, x))
    batch, num_true = labels.shape
    S = len(sampled)
    true_logits = np.empty((batch, num_true))
    for i in range(batch):
        for j in range(num_true):
            true_logits[i, j] = x[i] @ W[labels[i, j]] + b[labels[i, j]]
    sampled_logits = x @ W[sampled].T + b[sampled]
    if remove_accidental_hits:
        # compute_accidental_hits: a map from sampled value to its last position.
        pos = {c: s for s, c in enumerate(sampled)}
        acc = np.zeros((batch, S))
        for i in range(batch):
            for j in range(num_true):
                if labels[i, j] in pos:
                    acc[i, pos[labels[i, j]]] = -FLT_MAX  # sparse_to_dense assigns
        sampled_logits = sampled_logits + acc
    true_logits = true_logits - np.log(tq)
    sampled_logits = sampled_logits - np.log(sq)
    z = np.concatenate([true_logits, sampled_logits], axis=1)
    y = np.concatenate([np.ones((batch, num_true)) / num_true, np.zeros((batch, S))], axis=1)
    if kind == "softmax":
        loss = -(y * (z - logsumexp(z, axis=1, keepdims=True))).sum(axis=1)
        g = softmax(z, axis=1) * y.sum(axis=1, keepdims=True) - y
    else:
        # TensorFlow's sigmoid_cross_entropy_with_logits formula.
        loss = (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).sum(axis=1)
        g = expit(z) - y
    gx = np.zeros_like(x)
    gW = np.zeros_like(W)
    gb = np.zeros_like(b)
    for i in range(batch):
        for j in range(num_true):
            c = labels[i, j]
            gx[i] += g[i, j] * W[c]
            gW[c] += g[i, j] * x[i]
            gb[c] += g[i, j]
        for s in range(S):
            c = sampled[s]
            gx[i] += g[i, num_true + s] * W[c]
            gW[c] += g[i, num_true + s] * x[i]
            gb[c] += g[i, num_true + s]
    return loss, gx, gW, gb


def densify(sparse, shape):
    out = np.zeros(shape, dtype=np.float64)
    out[sparse.indices] = sparse.values  # indices are unique
    return out


def make_problem(rng, *, batch=7, dim=5, num_classes=40, num_true=1, num_sampled=6,
                 dtype=np.float64, hits=True, duplicates=False):
    W = rng.normal(size=(num_classes, dim)).astype(dtype)
    b = rng.normal(size=num_classes).astype(dtype)
    x = rng.normal(size=(batch, dim)).astype(dtype)
    labels = rng.integers(0, num_classes, size=(batch, num_true))
    if duplicates:
        sampled = rng.integers(0, 4, size=num_sampled)  # repeats, as with unique=False
    else:
        sampled = rng.choice(num_classes, size=num_sampled, replace=False)
    if hits:
        sampled[0] = labels[0, 0]  # an accidental hit
        sampled[-1] = labels[-1, -1]
    tq = rng.uniform(0.05, 1.5, size=(batch, num_true))
    sq = rng.uniform(0.05, 1.5, size=num_sampled)
    return W, b, labels, x, (sampled, tq, sq)


def call(kind, W, b, labels, x, sv, **kw):
    return LOSSES[kind](W, b, labels, x, len(sv[0]), W.shape[0], num_true=labels.shape[1],
                        sampled_values=sv, **kw)


# --------------------------------------------------------------------------- sampler


def test_sampler_with_replacement_matches_log_uniform_distribution_chi_square():
    range_max = 60
    n = 200_000
    labels = np.zeros((1, 1), dtype=np.int64)
    sampled, _, _ = log_uniform_candidate_sampler(labels, 1, n, False, range_max, seed=0)
    counts = np.bincount(sampled, minlength=range_max)
    expected = n * log_uniform_p(np.arange(range_max), range_max)
    assert expected.sum() == pytest.approx(n, rel=1e-12)
    _, pvalue = stats.chisquare(counts, expected)
    assert pvalue > 1e-3


def test_sampler_tail_of_a_million_classes_matches_distribution_in_log_bins():
    # Bins [2^k - 1, 2^(k+1) - 1): P(bin) = (log(2^(k+1)) - log(2^k)) / log(R + 1).
    range_max = 1_000_000
    n = 100_000
    sampled, _, _ = log_uniform_candidate_sampler(np.zeros((1, 1), int), 1, n, False, range_max,
                                                  seed=1)
    assert sampled.min() >= 0 and sampled.max() < range_max
    edges = np.minimum(2 ** np.arange(21) - 1, range_max)
    edges = np.unique(np.r_[edges, range_max])
    counts, _ = np.histogram(sampled, bins=edges)
    probs = (np.log(edges[1:] + 1.0) - np.log(edges[:-1] + 1.0)) / np.log(range_max + 1.0)
    _, pvalue = stats.chisquare(counts, n * probs)
    assert pvalue > 1e-3


def test_sampler_expected_counts_with_replacement_are_num_sampled_times_p():
    labels = np.array([[0, 5], [999, 17]])
    sampled, tq, sq = log_uniform_candidate_sampler(labels, 2, 30, False, 1000, seed=3)
    assert sampled.dtype == np.int64 and sampled.shape == (30,)
    np.testing.assert_allclose(tq, 30 * log_uniform_p(labels, 1000), rtol=1e-12)
    np.testing.assert_allclose(sq, 30 * log_uniform_p(sampled, 1000), rtol=1e-12)


def _sequential_unique_reference(seed, num_sampled, range_max):
    # TensorFlow's loop, over the same uniform stream the implementation consumes.
    u = np.random.default_rng(seed).random(200_000)
    v = np.clip(np.floor(np.exp(u * np.log1p(range_max))).astype(np.int64) - 1, 0,
                range_max - 1)
    seen, out = set(), []
    for t, c in enumerate(v, start=1):
        if c not in seen:
            seen.add(c)
            out.append(c)
            if len(out) == num_sampled:
                return np.array(out), t
    raise AssertionError("stream too short")


@pytest.mark.parametrize("num_sampled, range_max", [(10, 1000), (64, 100), (100, 100),
                                                    (1, 1), (3, 5)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unique_sampler_is_tensorflows_rejection_loop_and_expected_counts(num_sampled, range_max,
                                                                         seed):
    labels = np.arange(range_max)[:4].reshape(-1, 1)
    sampled, tq, sq = log_uniform_candidate_sampler(labels, 1, num_sampled, True, range_max,
                                                    seed=seed)
    ref, num_tries = _sequential_unique_reference(seed, num_sampled, range_max)
    np.testing.assert_array_equal(sampled, ref)
    assert len(np.unique(sampled)) == num_sampled
    for classes, got in ((labels, tq), (sampled, sq)):
        p = log_uniform_p(classes, range_max)
        if num_tries == num_sampled:
            want = num_sampled * p  # TensorFlow's shortcut
        else:
            want = 1 - (1 - p) ** num_tries
        np.testing.assert_allclose(got, want, rtol=1e-9)


def test_unique_expected_counts_are_stable_for_tiny_probabilities():
    # 1 - (1 - p)**n loses everything when p ~ 1e-17; -expm1(n * log1p(-p)) keeps n * p.
    range_max = 10**17
    sampled, tq, _ = log_uniform_candidate_sampler(np.array([[range_max - 1]]), 1, 5, True,
                                                   range_max, seed=0)
    p = np.log1p(1.0 / range_max) / np.log1p(float(range_max))
    assert 0 < tq[0, 0] <= 5 * p * (1 + 1e-9)
    assert tq[0, 0] >= p * (1 - 1e-9)


def test_unique_sampling_of_every_class_returns_a_permutation():
    sampled, _, sq = log_uniform_candidate_sampler(np.zeros((2, 1), int), 1, 20, True, 20,
                                                   seed=5)
    np.testing.assert_array_equal(np.sort(sampled), np.arange(20))
    assert np.all((sq > 0) & (sq <= 1))


def test_sampler_seed_makes_it_reproducible():
    labels = np.zeros((3, 1), dtype=np.int64)
    a = log_uniform_candidate_sampler(labels, 1, 50, True, 10_000, seed=42)
    b = log_uniform_candidate_sampler(labels, 1, 50, True, 10_000, seed=42)
    c = log_uniform_candidate_sampler(labels, 1, 50, True, 10_000, seed=43)
    g = log_uniform_candidate_sampler(labels, 1, 50, True, 10_000,
                                      seed=np.random.default_rng(42))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    for u, v in zip(a, g):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(num_sampled=11, unique=True, range_max=10), ValueError, "num_sampled"),
        (dict(num_true=2), ValueError, "true_classes"),
        (dict(true_classes=[[10]]), ValueError, r"found 10 at position \(0, 0\)"),
        (dict(true_classes=[[-1]]), ValueError, "true_classes"),
        (dict(true_classes=[[0.5]]), ValueError, "true_classes"),
        (dict(true_classes=[0, 1]), ValueError, "true_classes"),
        (dict(num_sampled=0), ValueError, "num_sampled"),
        (dict(range_max=0), ValueError, "range_max"),
        (dict(num_sampled=2.0), TypeError, "num_sampled"),
        (dict(unique="yes"), TypeError, "unique"),
    ],
)
def test_sampler_rejects_bad_input(kwargs, exc, match):
    args = dict(true_classes=[[1]], num_true=1, num_sampled=3, unique=True, range_max=10)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        log_uniform_candidate_sampler(**args)


# --------------------------------------------------------------------------- losses vs reference


@pytest.mark.parametrize("kind", ["softmax", "nce"])
@pytest.mark.parametrize("num_true", [1, 3])
@pytest.mark.parametrize("remove_accidental_hits", [True, False])
@pytest.mark.parametrize("duplicates", [False, True])
def test_loss_and_gradients_equal_tensorflow_formulas_float64(kind, num_true,
                                                              remove_accidental_hits,
                                                              duplicates):
    rng = np.random.default_rng(10 * num_true + duplicates)
    W, b, labels, x, sv = make_problem(rng, num_true=num_true, duplicates=duplicates)
    loss, grad = call(kind, W, b, labels, x, sv,
                      remove_accidental_hits=remove_accidental_hits, return_grad=True)
    ref_loss, gx, gW, gb = reference(kind, W, b, labels, x, *sv, remove_accidental_hits)
    assert loss.dtype == np.float64 and loss.shape == (x.shape[0],)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad.inputs, gx, rtol=1e-12, atol=1e-12)
    touched = np.unique(np.r_[labels.ravel(), sv[0]])
    np.testing.assert_array_equal(grad.weights.indices, touched)
    np.testing.assert_array_equal(grad.biases.indices, touched)
    np.testing.assert_allclose(densify(grad.weights, W.shape), gW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(densify(grad.biases, b.shape), gb, rtol=1e-12, atol=1e-12)
    no_grad = call(kind, W, b, labels, x, sv, remove_accidental_hits=remove_accidental_hits)
    np.testing.assert_array_equal(no_grad, loss)


@pytest.mark.parametrize("kind", ["softmax", "nce"])
@pytest.mark.parametrize("num_true", [1, 2])
def test_gradients_match_finite_differences_of_summed_loss(kind, num_true):
    rng = np.random.default_rng(7)
    W, b, labels, x, sv = make_problem(rng, num_true=num_true, duplicates=True)
    _, grad = call(kind, W, b, labels, x, sv, return_grad=True)

    def f(W_, b_, x_):
        return call(kind, W_, b_, labels, x_, sv).sum()

    h = 1e-6
    for name, V in (("x", rng.normal(size=x.shape)), ("W", rng.normal(size=W.shape)),
                    ("b", rng.normal(size=b.shape))):
        args = {"x": x, "W": W, "b": b}
        plus = dict(args, **{name: args[name] + h * V})
        minus = dict(args, **{name: args[name] - h * V})
        fd = (f(plus["W"], plus["b"], plus["x"]) - f(minus["W"], minus["b"], minus["x"])) / (2 * h)
        if name == "x":
            analytic = np.sum(grad.inputs * V)
        elif name == "W":
            analytic = np.sum(grad.weights.values * V[grad.weights.indices])
        else:
            analytic = np.sum(grad.biases.values * V[grad.biases.indices])
        assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8), name


@pytest.mark.parametrize("kind", ["softmax", "nce"])
@pytest.mark.parametrize("num_true", [1, 3])
def test_float32_in_gives_float32_out_close_to_float64(kind, num_true):
    rng = np.random.default_rng(3)
    W, b, labels, x, sv = make_problem(rng, num_true=num_true, dtype=np.float32)
    loss, grad = call(kind, W, b, labels, x, sv, return_grad=True)
    assert loss.dtype == np.float32
    assert grad.inputs.dtype == grad.weights.values.dtype == grad.biases.values.dtype == np.float32
    loss64, grad64 = call(kind, W.astype(np.float64), b.astype(np.float64), labels,
                          x.astype(np.float64), sv, return_grad=True)
    np.testing.assert_allclose(loss, loss64, rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(grad.inputs, grad64.inputs, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(grad.weights.values, grad64.weights.values, rtol=2e-4, atol=2e-5)


def test_mixed_dtypes_compute_in_float64_without_converting_the_whole_table():
    rng = np.random.default_rng(4)
    W, b, labels, x, sv = make_problem(rng, dtype=np.float32)
    loss = call("softmax", W, b, labels, x.astype(np.float64), sv)
    assert loss.dtype == np.float64
    ref = call("softmax", W.astype(np.float64), b.astype(np.float64), labels,
               x.astype(np.float64), sv)
    np.testing.assert_array_equal(loss, ref)


def _layout(a, layout):
    if layout == "C":
        return np.ascontiguousarray(a)
    if layout == "F":
        return np.asfortranarray(a)
    big = np.zeros((a.shape[0], 2 * a.shape[1]), dtype=a.dtype)
    big[:, ::2] = a
    return big[:, ::2]


@pytest.mark.parametrize("kind", ["softmax", "nce"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_layouts_and_threads_give_identical_results(kind, dtype, layout, n_threads):
    rng = np.random.default_rng(5)
    W, b, labels, x, sv = make_problem(rng, batch=33, num_true=2, dtype=dtype)
    base_loss, base = call(kind, W, b, labels, x, sv, return_grad=True, n_threads=1)
    Wl, xl = _layout(W, layout), _layout(x, layout)
    labels_l = labels if layout == "C" else np.asfortranarray(labels)
    W0, x0 = Wl.copy(), xl.copy()
    loss, grad = call(kind, Wl, b, labels_l, xl, sv, return_grad=True, n_threads=n_threads)
    np.testing.assert_array_equal(Wl, W0)  # inputs untouched
    np.testing.assert_array_equal(xl, x0)
    # BLAS may order a dot product differently for another layout: allow a few ulps.
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(loss, base_loss, rtol=tol, atol=tol)
    np.testing.assert_allclose(grad.inputs, base.inputs, rtol=tol, atol=tol)
    np.testing.assert_allclose(grad.weights.values, base.weights.values, rtol=tol, atol=tol)
    if layout == "C":  # same arrays: bit-identical for every n_threads
        np.testing.assert_array_equal(loss, base_loss)
        np.testing.assert_array_equal(grad.inputs, base.inputs)
        np.testing.assert_array_equal(grad.weights.values, base.weights.values)
        np.testing.assert_array_equal(grad.biases.values, base.biases.values)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_accidental_hit_column_is_removed_exactly_and_stays_finite(dtype, scale):
    # A hit gets logit ~ -FLT_MAX: probability 0, so the loss equals the loss without that
    # column and its gradient is exactly 0, even with huge logits elsewhere (no -inf * 0).
    rng = np.random.default_rng(6)
    W, b, labels, x, (sampled, tq, sq) = make_problem(rng, dtype=dtype, hits=False)
    x = (x * scale).astype(dtype)
    sampled[2] = labels[0, 0]
    loss, grad = call("softmax", W, b, labels, x, (sampled, tq, sq), return_grad=True)
    assert np.all(np.isfinite(loss))
    assert np.all(np.isfinite(grad.inputs))
    keep = np.arange(len(sampled)) != 2
    loss_wo = call("softmax", W, b, labels[:1], x[:1], (sampled[keep], tq[:1], sq[keep]))
    np.testing.assert_allclose(loss[0], loss_wo[0], rtol=1e-6 if dtype == np.float32 else 1e-14)
    nce, nce_grad = call("nce", W, b, labels, x, (sampled, tq, sq), return_grad=True,
                         remove_accidental_hits=True)
    assert np.all(np.isfinite(nce)) and np.all(np.isfinite(nce_grad.inputs))


@pytest.mark.parametrize("kind", ["softmax", "nce"])
def test_internal_sampling_is_seeded_and_equals_passing_the_sample(kind):
    rng = np.random.default_rng(8)
    W, b, labels, x, _ = make_problem(rng, num_classes=500, num_true=2)
    a = LOSSES[kind](W, b, labels, x, 20, 500, num_true=2, seed=11)
    a2 = LOSSES[kind](W, b, labels, x, 20, 500, num_true=2, seed=11)
    c = LOSSES[kind](W, b, labels, x, 20, 500, num_true=2, seed=12)
    sv = log_uniform_candidate_sampler(labels, 2, 20, True, 500, seed=11)
    d = LOSSES[kind](W, b, labels, x, 20, 500, num_true=2, sampled_values=sv)
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(a, d)
    assert not np.array_equal(a, c)


def test_one_dimensional_labels_are_accepted_for_num_true_1():
    rng = np.random.default_rng(9)
    W, b, labels, x, sv = make_problem(rng)
    one_d = sampled_softmax_loss(W, b, labels[:, 0], x, len(sv[0]), W.shape[0],
                                 sampled_values=sv)
    np.testing.assert_array_equal(one_d, call("softmax", W, b, labels, x, sv))


def test_sampled_softmax_approaches_full_softmax_as_sample_covers_all_classes():
    rng = np.random.default_rng(12)
    num_classes, dim, batch = 30, 6, 64
    W = rng.normal(size=(num_classes, dim))
    b = rng.normal(size=num_classes)
    x = rng.normal(size=(batch, dim))
    y = rng.integers(0, num_classes, size=batch)
    full = categorical_cross_entropy(y, x @ W.T + b, from_logits=True, reduction="none")
    errors = []
    for num_sampled in (3, 10, 20, 30):
        err = np.mean([
            np.abs(sampled_softmax_loss(W, b, y, x, num_sampled, num_classes, seed=s) - full)
            .mean()
            for s in range(5)
        ])
        errors.append(err)
    assert errors[-1] < errors[0] / 10
    assert errors[-1] < 0.05
    assert errors == sorted(errors, reverse=True)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(labels=np.array([[1], [40], [2]])), r"labels.*found 40 at position \(1, 0\)"),
        (dict(labels=np.array([[1], [-3], [2]])), "labels"),
        (dict(labels=np.array([[1.5], [2], [2]])), "labels"),
        (dict(labels=np.array([[1, 2], [2, 3], [0, 0]])), "labels must have shape"),
        (dict(labels=np.array([[1], [2]])), "labels must have shape"),
        (dict(x=np.zeros((3, 4))), "inputs"),
        (dict(W=np.zeros((39, 5))), "weights"),
        (dict(b=np.zeros(41)), "biases"),
        (dict(sv=(np.array([1, 2]), np.ones((3, 1)), np.ones(3))), "sampled_candidates"),
        (dict(sv=(np.array([1, 2, 40]), np.ones((3, 1)), np.ones(3))), "sampled_candidates"),
        (dict(sv=(np.array([1, 2, 3]), np.ones((3, 2)), np.ones(3))), "true_expected_count"),
        (dict(sv=(np.array([1, 2, 3]), np.ones((3, 1)), np.ones(2))), "sampled_expected_count"),
        (dict(sv=(np.array([1, 2, 3]), np.ones((3, 1)), np.array([1, 0, 1.0]))),
         "sampled_expected_count"),
        (dict(sv=(np.array([1, 2, 3]), np.full((3, 1), np.nan), np.ones(3))),
         "true_expected_count"),
        (dict(sv=(np.array([1, 2, 3]), np.ones((3, 1)))), "sampled_values"),
        (dict(n_threads=0), "n_threads"),
        (dict(num_true=2), "labels must have shape"),
    ],
)
@pytest.mark.parametrize("kind", ["softmax", "nce"])
def test_bad_input_raises_value_error_naming_the_argument(kind, change, match):
    rng = np.random.default_rng(0)
    args = dict(W=rng.normal(size=(40, 5)), b=np.zeros(40), labels=np.array([[1], [2], [3]]),
                x=rng.normal(size=(3, 5)),
                sv=(np.array([1, 2, 3]), np.ones((3, 1)), np.ones(3)), n_threads=None,
                num_true=1)
    args.update(change)
    with pytest.raises(ValueError, match=match):
        LOSSES[kind](args["W"], args["b"], args["labels"], args["x"], 3, 40,
                     num_true=args["num_true"], sampled_values=args["sv"],
                     n_threads=args["n_threads"])


@pytest.mark.parametrize("kind", ["softmax", "nce"])
def test_too_many_samples_for_unique_internal_sampling_raises(kind):
    W, b = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="num_sampled"):
        LOSSES[kind](W, b, [[1]], np.zeros((1, 2)), 11, 10)


def test_complex_weights_raise_type_error():
    with pytest.raises(TypeError, match="weights"):
        sampled_softmax_loss(np.zeros((10, 2), complex), np.zeros(10), [[1]], np.zeros((1, 2)),
                             2, 10, seed=0)


def test_nan_inputs_propagate_to_that_example_only():
    rng = np.random.default_rng(1)
    W, b, labels, x, sv = make_problem(rng, hits=False)
    x[2, 0] = np.nan
    for kind in LOSSES:
        loss = call(kind, W, b, labels, x, sv)
        assert np.isnan(loss[2])
        assert np.all(np.isfinite(np.delete(loss, 2)))


# --------------------------------------------------------------------------- TensorFlow


@pytest.mark.parametrize("kind", ["softmax", "nce"])
@pytest.mark.parametrize("num_true", [1, 2])
@pytest.mark.parametrize("remove_accidental_hits", [True, False])
@pytest.mark.parametrize("duplicates", [False, True])
def test_matches_tensorflow_when_installed(kind, num_true, remove_accidental_hits, duplicates):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(21)
    W, b, labels, x, (sampled, tq, sq) = make_problem(rng, num_true=num_true,
                                                      duplicates=duplicates)
    if duplicates:
        sampled[1] = sampled[-1]  # a repeated class that is also a label
    loss, grad = call(kind, W, b, labels, x, (sampled, tq, sq),
                      remove_accidental_hits=remove_accidental_hits, return_grad=True)
    tW, tb, tx = tf.Variable(W), tf.Variable(b), tf.Variable(x)
    fn = tf.nn.sampled_softmax_loss if kind == "softmax" else tf.nn.nce_loss
    with tf.GradientTape() as tape:
        tl = fn(tW, tb, tf.constant(labels, tf.int64), tx, len(sampled), W.shape[0],
                num_true=num_true,
                sampled_values=(tf.constant(sampled, tf.int64), tf.constant(tq),
                                tf.constant(sq)),
                remove_accidental_hits=remove_accidental_hits)
        total = tf.reduce_sum(tl)
    gW, gb, gx = tape.gradient(total, [tW, tb, tx])
    np.testing.assert_allclose(loss, tl.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad.inputs, gx.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(densify(grad.weights, W.shape), tf.convert_to_tensor(gW).numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(densify(grad.biases, b.shape), tf.convert_to_tensor(gb).numpy(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["softmax", "nce"])
@pytest.mark.parametrize("num_true", [1, 2])
def test_empty_batch_gives_empty_loss_and_zero_gradients(kind, num_true):
    W, b = np.ones((10, 3)), np.zeros(10)
    loss, grad = LOSSES[kind](W, b, np.zeros((0, num_true), int), np.zeros((0, 3)), 4, 10,
                              num_true=num_true, seed=0, return_grad=True)
    assert loss.shape == (0,) and grad.inputs.shape == (0, 3)
    assert grad.weights.values.shape == (len(grad.weights.indices), 3)
    assert not grad.weights.values.any() and not grad.biases.values.any()


def test_integer_and_list_inputs_are_converted_to_float64():
    W = np.arange(30).reshape(10, 3) % 4
    sv = (np.array([0, 5]), np.ones((2, 1)), np.ones(2))
    loss = sampled_softmax_loss(W.tolist(), [0] * 10, [[1], [2]], [[1, 0, 1], [0, 1, 0]], 2, 10,
                                sampled_values=sv)
    ref = sampled_softmax_loss(W.astype(float), np.zeros(10), np.array([[1], [2]]),
                               np.array([[1.0, 0, 1], [0, 1, 0]]), 2, 10, sampled_values=sv)
    assert loss.dtype == np.float64
    np.testing.assert_array_equal(loss, ref)


def test_public_functions_are_exported_from_skxent_losses():
    import skxent._sampled
    import skxent.losses

    for name in ("log_uniform_candidate_sampler", "sampled_softmax_loss", "nce_loss"):
        assert getattr(skxent.losses, name, None) is getattr(skxent._sampled, name), name


@pytest.mark.parametrize(
    "dtype, max_logit",
    [(np.float32, 1.0), (np.float32, 1e3), (np.float32, 1e30),
     (np.float64, 1.0), (np.float64, 1e3), (np.float64, 1e20), (np.float64, 1e300)],
)
def test_kernels_give_accidental_hit_logits_probability_exactly_zero(dtype, max_logit):
    # The sampled path relies on the kernels mapping a -FLT_MAX (accidental hit) logit to
    # probability exactly 0: finite loss, gradient exactly 0 in that column, whatever the
    # other logits (exp(-3.4e38 - max) underflows to 0 in IEEE arithmetic).
    from _reference import engine_bce as _bce, engine_cce as _cce

    z = np.array([[0.5, max_logit, -FLT_MAX, 1.0]], dtype=dtype)
    loss, g = _cce(np.array([0]), z.copy(), from_logits=True, reduction="none",
                   return_grad=True)
    expected = logsumexp(np.array([0.5, max_logit, 1.0])) - 0.5
    assert loss[0] == pytest.approx(expected, rel=1e-6)
    assert g[0, 2] == 0.0, f"gradient at the hit column is {g[0, 2]!r}, not 0"

    y = np.array([[1.0, 0.0, 0.0, 0.0]], dtype=dtype)
    bl, bg = _bce(y, z.copy(), from_logits=True, reduction="none", return_grad=True)
    assert bl[0, 2] == 0.0 and bg[0, 2] == 0.0
