"""The training example of the user guide's sampled-softmax page (docs/user_guide/sampled.rst),
run at a small size so it stays correct."""

import numpy as np
import pytest

import skxent.losses
import skxent._sampled

import _docs

PAGE = "user_guide/sampled.rst"


def _example_source():
    return _docs.code_block_after_label(_docs.page(PAGE), "sampled-example")


def test_docs_example_trains_with_sampled_softmax_and_full_ce_falls(monkeypatch, capsys):
    for name in ("log_uniform_candidate_sampler", "sampled_softmax_loss", "nce_loss"):
        if not hasattr(skxent.losses, name):  # until skxent.losses re-exports them
            monkeypatch.setattr(skxent.losses, name, getattr(skxent._sampled, name),
                                raising=False)
    src = _example_source()
    constants = "N_CLASSES, DIM, N_TRAIN, N_TEST = 100_000, 32, 200_000, 2_000"
    assert constants in src
    src = src.replace(constants, "N_CLASSES, DIM, N_TRAIN, N_TEST = 2_000, 16, 20_000, 500")
    ns = {"__name__": "docs_example"}
    exec(compile(src, str(_docs.DOCS / PAGE), "exec"), ns)

    history = np.array(ns["history"], dtype=np.float64)
    n_classes = ns["N_CLASSES"]
    assert history[0] == pytest.approx(np.log(n_classes), rel=1e-5)  # W = 0: uniform
    assert np.all(np.diff(history) < 0)
    # Better than the best model that ignores X: the entropy of the class frequencies.
    c = np.arange(n_classes)
    p = np.log1p(1.0 / (c + 1)) / np.log1p(n_classes)
    assert history[-1] < -(p * np.log(p)).sum() - 1.0
    assert len(capsys.readouterr().out.splitlines()) == ns["EPOCHS"]
    # The sampled training loss is optimistic: the full CE is what to report.
    assert ns["loss"].mean() < history[-1]
