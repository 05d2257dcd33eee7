"""The README's code runs and says what it prints.

Design note
-----------
The README is the first page a user reads; its snippets are copied into notebooks as they are.
Each ```python block is executed here in a fresh namespace (a block importing an optional peer
such as xgboost is skipped when the peer is missing), and the values its comments state are
checked against what the code computed.
"""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
OPTIONAL = ("xgboost",)


def _run(block):
    for peer in OPTIONAL:
        if re.search(rf"^\s*(import|from) {peer}\b", block, flags=re.M):
            pytest.importorskip(peer)
    namespace = {}
    exec(compile(block, str(README), "exec"), namespace)
    return namespace


def test_readme_has_the_first_example_and_the_boosting_objective():
    assert len(BLOCKS) >= 2
    assert "categorical_cross_entropy" in BLOCKS[0]
    assert any("return_hess=True" in b and "xgb.train" in b for b in BLOCKS)


def test_first_example_computes_the_values_its_comments_state():
    ns = _run(BLOCKS[0])
    stated = re.search(r"loss\[0\] == ([0-9.e-]+)", BLOCKS[0]).group(1)
    assert ns["loss"][0] == float(stated)
    assert ns["grad"][1, 1] == 0.0
    logits, labels = ns["logits"], ns["labels"]
    naive = np.log(np.exp(logits[0]).sum()) - logits[0, labels[0]]
    assert naive == 0.0  # the comment's "numpy's lse - x_t gives 0.0"


@pytest.mark.parametrize("index", range(1, len(BLOCKS)))
def test_every_other_readme_block_runs(index):
    ns = _run(BLOCKS[index])
    if "booster" in ns:  # the XGBoost objective trained: its margins beat the constant model
        from skxent.losses import categorical_cross_entropy

        xgb = pytest.importorskip("xgboost")
        margins = ns["booster"].predict(xgb.DMatrix(ns["X"]), output_margin=True)
        trained = categorical_cross_entropy(ns["y"], margins, from_logits=True)
        assert trained < 0.5 * np.log(3)
