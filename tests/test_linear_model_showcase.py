"""The README's showcase runs, prints both comparison tables, and skxent's losses equal
scikit-learn's (same objective, same solver path)."""

import io
import re

from skxent._showcase import estimators_showcase


def test_showcase_prints_both_tables_with_matching_log_losses():
    out = io.StringIO()
    estimators_showcase(file=out)
    text = out.getvalue()
    assert "load_digits" in text and "make_multilabel_classification" in text
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(skxent \S+|sklearn \S+)\s+([\d.]+) ms\s+([\d.]+)", line)
        if m:
            rows[m.group(1)] = float(m.group(3))
    assert set(rows) == {
        "skxent SoftmaxRegression",
        "sklearn LogisticRegression",
        "skxent MultiLabelLogistic",
        "sklearn MultiOutputClassifier(LR)",
    }
    assert abs(rows["skxent SoftmaxRegression"] - rows["sklearn LogisticRegression"]) < 2e-3
    assert abs(rows["skxent MultiLabelLogistic"] - rows["sklearn MultiOutputClassifier(LR)"]) < 2e-3
    assert "fit time ratio" in text
