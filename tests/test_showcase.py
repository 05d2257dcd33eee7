"""The README's main job (``skxent-showcase``) runs end to end and prints every section."""

import importlib.util

from skxent.__main__ import main


def test_showcase_runs_every_section(capsys):
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    for header in ("OpenMP:", "== 1. Losses on digits", "== 2. Accuracy", "== 3. Speed",
                   "== 4. skxent.metrics.log_loss", "== 5. Estimators",
                   "== 6. Scaling out with Dask"):
        assert header in out, header
    # the tiny loss the showcase advertises is printed exactly, not rounded to 0
    assert "loss 4.459867359050697e-18" in out
    assert "relative difference 0.0e+00" in out

    if importlib.util.find_spec("distributed") is None:
        assert "dask is not installed" in out
        return
    # section 6: the model fitted on a 2-worker cluster equals the in-memory one
    assert "LocalCluster: 2 worker processes" in out
    coef_diff = float(out.split("max |coef - in-memory coef| = ")[1].split()[0])
    assert coef_diff < 1e-6
    lines = [line for line in out.splitlines() if " on dask " in line]
    assert len(lines) == 2
    for line in lines:  # "<name> on dask ...: <value> (in memory <value>)"
        value, ref = line.split(": ")[1].split(" (in memory ")
        assert abs(float(value) - float(ref.rstrip(")"))) <= 1e-11
