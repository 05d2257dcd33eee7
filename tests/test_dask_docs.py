"""The example of the user guide's Dask page (docs/user_guide/dask.rst), run at a small size."""

import pytest

import _docs

pytest.importorskip("dask.array")
pytest.importorskip("distributed")

PAGE = "user_guide/dask.rst"
CONSTANTS = "N_ROWS, N_FEATURES, N_CLASSES, CHUNK = 2_000_000, 20, 5, 250_000"


def _example_source():
    return _docs.code_block_after_label(_docs.page(PAGE), "dask-example")


def test_docs_dask_example_fits_on_a_cluster_and_scores_on_dask_arrays(capsys):
    src = _example_source()
    assert CONSTANTS in src
    src = src.replace(CONSTANTS, "N_ROWS, N_FEATURES, N_CLASSES, CHUNK = 100_000, 20, 5, 15_000")
    ns = {"__name__": "__main__"}
    exec(compile(src, str(_docs.DOCS / PAGE), "exec"), ns)
    out = capsys.readouterr().out.splitlines()
    ll = float(next(line for line in out if line.startswith("log_loss")).split()[1])
    ce = float(next(line for line in out if line.startswith("cross-entropy")).split()[1])
    # the same quantity, from predict_proba (clipped probabilities) and from the logits
    assert ll == pytest.approx(ce, rel=1e-5)

    acc = float(next(line for line in out if line.startswith("accuracy")).split()[1])
    # a generative softmax model with unit-scale logits: well above chance (0.2)
    assert acc > 0.6
    clf = ns["clf"]
    assert clf.coef_.shape == (5, 20) and clf.n_features_in_ == 20 and clf.n_iter_ > 0
