"""The vectorised exps of ``skxent/_simd.h`` against an extended-precision reference.

The softmax kernels spend much of their time in exp, and two implementations exist: the
portable one (compiled into every target_clones clone) and the table-driven AVX-512 one the
x86-64-v4 kernels use on a CPU that has it. Both must be within one ulp of exp over the whole
range the kernels feed them (-745..0, subnormal results included) and the AVX-512 one over the
whole double range (it is a general exp); their float32-data forms within 3e-9 relative. The
reference is NumPy's long double exp (x87 80-bit on x86-64: 11 more bits than a double),
itself checked against mpmath on a subset. The AVX-512 cases skip on CPUs without AVX-512.
"""

import numpy as np
import pytest

from skxent import _core

PORTABLE, PORTABLE_LOWP, AVX512, AVX512_LOWP = 0, 1, 2, 3

LONGDOUBLE_OK = np.finfo(np.longdouble).nmant >= 63


def _have_avx512():
    return _core.exp_array(np.zeros(1), None, np.empty(1), AVX512)


def _exp(x, variant, xlo=None):
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    if not _core.exp_array(x, xlo, out, variant):
        pytest.skip("this CPU has no AVX-512")
    return out


def _ulp_error(got, ref):
    """|got - ref| in units of the last place of ref rounded to double (subnormals: 2**-1074)."""
    ulp = np.spacing(np.abs(ref.astype(np.float64)))
    return np.abs((got.astype(np.longdouble) - ref) / ulp.astype(np.longdouble)).astype(np.float64)


def _sweep(lo, hi, n):
    x = np.linspace(lo, hi, n)
    # jitter the low bits so that the points do not share a few reduced arguments
    return x + np.random.default_rng(0).uniform(-1, 1, n) * np.spacing(np.maximum(np.abs(x), 1.0)) * 1e6


VARIANTS = [pytest.param(PORTABLE, id="portable"), pytest.param(AVX512, id="avx512")]


@pytest.mark.skipif(not LONGDOUBLE_OK, reason="needs an 80-bit long double reference")
@pytest.mark.parametrize("variant", VARIANTS)
def test_exp_is_within_one_ulp_over_the_kernels_range(variant):
    # -745.13 .. 0: every result the softmax kernels take, down to the smallest subnormal
    x = _sweep(-745.13, 0.0, 1_000_001)
    err = _ulp_error(_exp(x, variant), np.exp(x.astype(np.longdouble)))
    assert err.max() < 1.0, (err.max(), x[err.argmax()])
    sub = x < -708.4  # subnormal results: one rounding to the subnormal grid
    assert err[sub].max() < 1.0


@pytest.mark.skipif(not LONGDOUBLE_OK, reason="needs an 80-bit long double reference")
def test_avx512_exp_is_within_one_ulp_for_positive_arguments():
    x = _sweep(0.0, 709.78, 500_001)
    err = _ulp_error(_exp(x, AVX512), np.exp(x.astype(np.longdouble)))
    assert err.max() < 1.0, (err.max(), x[err.argmax()])


def test_longdouble_reference_agrees_with_mpmath():
    mpmath = pytest.importorskip("mpmath")
    if not LONGDOUBLE_OK:
        pytest.skip("needs an 80-bit long double reference")
    x = _sweep(-745.0, 709.0, 301)
    with mpmath.workdps(40):
        ref = np.array([float(mpmath.exp(mpmath.mpf(float(v)))) for v in x])
    np.testing.assert_array_equal(np.exp(x.astype(np.longdouble)).astype(np.float64), ref)


@pytest.mark.parametrize("variant", VARIANTS)
def test_exp_takes_the_low_part_of_an_error_free_difference(variant):
    # exp(a - b) with a - b = d + lo exactly: the result is exp of the exact difference, which
    # exp(d) alone misses by up to ulp(d) / 2 * |d| relative (tens of ulps for |d| ~ 100)
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(1)
    a = rng.uniform(-3.0, 3.0, 400)
    b = rng.uniform(3.0, 700.0, 400) * (1 + 2**-40)
    d = a - b
    bb = d - a
    lo = (a - (d - bb)) - (b + bb)
    got = _exp(d, variant, xlo=lo)
    with mpmath.workdps(50):
        err = [float(abs(mpmath.mpf(float(g)) - mpmath.exp(mpmath.mpf(float(u)) - mpmath.mpf(float(v))))
                     / mpmath.mpf(float(np.spacing(g))))
               for g, u, v in zip(got, a, b)]
    assert max(err) < 1.0, max(err)
    # without the low part: far off (what the correction is for)
    plain = _exp(d, variant)
    assert (np.abs(plain - got) / np.spacing(got)).max() > 4


@pytest.mark.parametrize(
    "variant, lowp",
    [pytest.param(PORTABLE_LOWP, PORTABLE, id="portable"),
     pytest.param(AVX512_LOWP, AVX512, id="avx512")],
)
def test_float32_data_exp_is_within_3e_9_relative(variant, lowp):
    if not LONGDOUBLE_OK:
        pytest.skip("needs an 80-bit long double reference")
    x = _sweep(-700.0, 0.0, 300_001)
    ref = np.exp(x.astype(np.longdouble))
    rel = np.abs((_exp(x, variant).astype(np.longdouble) - ref) / ref).astype(np.float64)
    assert rel.max() < 3e-9


@pytest.mark.parametrize("variant", VARIANTS + [
    pytest.param(PORTABLE_LOWP, id="portable-lowp"), pytest.param(AVX512_LOWP, id="avx512-lowp")])
def test_exp_special_values(variant):
    x = np.array([-np.inf, np.nan, 0.0, -0.0, -745.2, -745.1, -746.0, -1e300, -1e-300])
    got = _exp(x, variant)
    assert got[0] == 0.0 and np.isnan(got[1])
    assert got[2] == 1.0 and got[3] == 1.0 and got[8] == 1.0
    assert got[4] == 0.0 and got[6] == 0.0 and got[7] == 0.0
    if variant in (PORTABLE, AVX512):
        assert got[5] == 5e-324  # the smallest subnormal, correctly rounded


def test_avx512_exp_overflows_to_inf():
    x = np.array([709.78, 709.79, 710.0, 1000.0, 1e300, np.inf])
    got = _exp(x, AVX512)
    assert got[0] == np.exp(709.78) and np.isfinite(got[0])
    assert np.all(got[1:] == np.inf)


def test_avx512_exp_is_pure_elementwise():
    # what keeps the kernels bit-identical for any n_threads: a lane's result depends on its
    # own input only, not on its position in a vector or on the array length
    if not _have_avx512():
        pytest.skip("this CPU has no AVX-512")
    x = _sweep(-745.0, 0.0, 1001)
    full = _exp(x, AVX512)
    for off in (1, 3, 7):
        np.testing.assert_array_equal(_exp(x[off:], AVX512), full[off:])
