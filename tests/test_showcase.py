"""The README's main job (``skxent-showcase``) runs end to end and prints every section."""

from skxent.__main__ import main


def test_showcase_runs_every_section(capsys):
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    for header in ("OpenMP:", "== 1. Losses on digits", "== 2. Accuracy", "== 3. Speed",
                   "== 4. skxent.metrics.log_loss", "== 5. Estimators"):
        assert header in out, header
    # the tiny loss the showcase advertises is printed exactly, not rounded to 0
    assert "loss 4.459867359050697e-18" in out
    assert "relative difference 0.0e+00" in out
