"""``skxent-bench``: a quick run writes valid results, bad input exits 2, failures are recorded.

Design note
-----------
The benchmark is a product feature, so its contract is tested like one, without timing anything
that matters: the runs here are ``--quick`` on the smallest sizes with one thread and no peer
beyond scikit-learn (a few seconds), and never need torch or TensorFlow. What is pinned:

* the files: ``results.json`` follows the schema (``_report.validate``: every row with its
  times, the machine, versions, load averages), ``results.md`` has the tables, PNGs exist only
  with matplotlib and without ``--no-plot`` (plot tests skip without matplotlib);
* bad input (unknown suite, size or peer, a thread count below 1 or above the logical cores, an
  output folder that cannot be written, a named peer that is not installed) exits 2 with a
  message on stderr and writes nothing;
* a contender that raises (a ``TypeError``, a ``MemoryError`` in a later round) is recorded with
  its error while the others are measured; a wrong value is flagged;
* Ctrl-C keeps what was measured: in-process (a contender raising ``KeyboardInterrupt``) and for
  real (SIGINT to a ``python -m skxent._bench`` process), the run is written, marked
  interrupted, exit code 130;
* the shared harness: interleaving, time budget, recorded errors, partial results; the
  repository's ``benchmarks/_harness.py`` is a re-export of it, not a copy.
"""

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import skxent
from skxent._bench import _cli, _harness, _peers, _report
from skxent._bench._cases import Case, Contender, Point
from skxent._bench._runner import Progress

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAS_MPL = importlib.util.find_spec("matplotlib") is not None
QUICK = ["--suite", "losses", "--threads", "1", "--size", "small", "--quick", "--peers",
         "sklearn"]


def _load(out):
    with open(os.path.join(out, "results.json")) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick losses run (with plots when matplotlib is installed), shared by the tests."""
    out = str(tmp_path_factory.mktemp("bench") / "results")
    import io

    err = io.StringIO()
    code = _cli.execute(
        cases=_cli._select_cases(["losses"]), out_dir=_mkdir(out), threads=[1], size="small",
        quick=True, peers_mode="names", peer_names=["sklearn"], plot=True, argv=QUICK,
        progress=Progress(err))
    return code, out, err.getvalue()


def _mkdir(path):
    os.makedirs(path, exist_ok=True)
    return path


def test_quick_run_writes_results_that_follow_the_schema(quick_run):
    code, out, err = quick_run
    assert code == 0
    doc = _load(out)
    assert _report.validate(doc)
    assert doc["schema_version"] == _report.SCHEMA_VERSION
    assert doc["interrupted"] is False
    assert doc["points"]["done"] == doc["points"]["planned"] == 16  # 8 cases x 2 sizes
    m = doc["machine"]
    assert m["logical_cores"] == os.cpu_count()
    assert m["simd"] == skxent.show_config(return_dict=True)["simd"]
    assert m["cpu_model"]
    assert len(m["load_average_before"]) == 3 and len(m["load_average_after"]) == 3
    assert any(p["user_api"] == "openmp" for p in m["threadpools"])
    assert doc["versions"]["skxent"] == skxent.__version__
    assert doc["versions"]["scikit-learn"]
    assert doc["peers"]["sklearn"]["available"] is True
    assert doc["peers"]["torch"] == {"available": False, "reason": "not requested"}

    rows = doc["results"]
    cases = {r["case"] for r in rows}
    assert len(cases) == 8 and {r["suite"] for r in rows} == {"losses"}
    for case in cases:
        for size in {r["size_label"] for r in rows if r["case"] == case}:
            point = {r["contender"]: r for r in rows
                     if r["case"] == case and r["size_label"] == size}
            assert point["skxent"]["ratio"] == 1.0
            assert _harness.FLOOR in point
            sk = [r for r in point.values() if r["library"] == "sklearn"]
            assert len(sk) == 1
            for r in point.values():
                assert r["error"] is None, r
                assert r["threads"] == 1 and r["dtype"] in ("float32", "float64")
                assert r["rounds"] == len(r["times_s"]) >= 1
                assert r["median_s"] == pytest.approx(float(np.median(r["times_s"])))
                if r["role"] != "floor":
                    assert r["agrees"] is True, r  # every loss equals the NumPy reference
            assert sk[0]["ratio"] == pytest.approx(sk[0]["median_s"] / point["skxent"]["median_s"])


def test_quick_run_reports_progress_and_markdown_tables(quick_run):
    code, out, err = quick_run
    assert "[1/16] losses/softmax_loss_f64 1000 x 10, 1 thr" in err
    assert "[16/16]" in err and "left" in err
    assert "wrote results.json, results.md" in err
    md = open(os.path.join(out, "results.md")).read()
    assert md.startswith("# skxent-bench results")
    assert "## Summary: ratios at the largest size, per thread count" in md
    assert "| contender | median | rounds | ratio (peer / skxent) | note |" in md
    assert "Median by input size, 1 thread(s):" in md
    assert "load average (1/5/15 min): before" in md
    assert "### softmax CE loss + gradient, float32 (`softmax_loss_grad_f32`)" in md
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]  # atomic writes left nothing


@pytest.mark.skipif(not HAS_MPL, reason="matplotlib (the 'plot' extra) is not installed")
def test_plots_are_written_and_listed(quick_run):
    code, out, _ = quick_run
    doc = _load(out)
    # one thread count: no speed-up plot; sizes and ratios are there
    assert doc["plots"] == ["losses_size.png", "losses_ratios.png"]
    for name in doc["plots"]:
        with open(os.path.join(out, name), "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    md = open(os.path.join(out, "results.md")).read()
    assert "![losses_size](losses_size.png)" in md


@pytest.mark.skipif(not HAS_MPL, reason="matplotlib (the 'plot' extra) is not installed")
def test_speedup_plot_needs_two_thread_counts(quick_run, tmp_path):
    from skxent._bench._plots import write_plots

    doc = _load(quick_run[1])
    two = [dict(r, threads=2, median_s=r["median_s"] / 1.8) for r in doc["results"]]
    doc["results"] = doc["results"] + two
    names = [os.path.basename(p) for p in write_plots(doc, str(tmp_path))]
    assert names == ["losses_speedup.png", "losses_size.png", "losses_ratios.png"]


def test_without_matplotlib_the_run_says_so_and_writes_no_png(tmp_path, monkeypatch):
    from skxent._bench import _plots

    monkeypatch.setattr(_plots, "available", lambda: False)
    case = _fake_case(lambda d: {"skxent": Contender(lambda: 1.0, role="skxent")})
    import io

    err = io.StringIO()
    code = _cli.execute(cases=[case], out_dir=str(tmp_path), threads=[1], size="small",
                        quick=True, peers_mode="none", peer_names=[], plot=True, argv=[],
                        progress=Progress(err))
    assert code == 0
    assert sorted(os.listdir(tmp_path)) == ["results.json", "results.md"]
    assert "matplotlib is not installed: no plots" in err.getvalue()
    assert any("matplotlib not installed" in n for n in _load(tmp_path)["notes"])


def test_no_plot_writes_only_json_and_markdown(tmp_path, capsys):
    out = tmp_path / "r"
    code = _cli.main(["--suite", "metrics", "--threads", "1", "--quick", "--peers", "none",
                      "--no-plot", "--out", str(out)])
    assert code == 0
    assert sorted(os.listdir(out)) == ["results.json", "results.md"]
    doc = _load(out)
    _report.validate(doc)
    assert doc["plots"] == [] and doc["options"]["plot"] is False
    assert {r["role"] for r in doc["results"]} == {"skxent", "floor"}  # --peers none
    assert "--peers none: skxent alone, with the floor and reference rows" in doc["notes"]


@pytest.mark.parametrize("args, message", [
    (["--suite", "speed"], "unknown suite 'speed'"),
    (["--suite", "losses,nope"], "unknown suite 'nope'"),
    (["--size", "huge"], "unknown size 'huge'"),
    (["--peers", "jax"], "unknown peer 'jax'"),
    (["--threads", "0"], "--threads: 0 is below 1"),
    (["--threads", "1", str((os.cpu_count() or 1) + 1)], "above this machine's"),
    (["--threads", "two"], "'two' is not an integer"),
    (["--repeats", "0"], "--repeats: 0 is too small"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    assert _cli.main(args + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "skxent-bench: error:" in err and message in err
    assert not out.exists()


def test_unwritable_output_folder_exits_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert _cli.main(QUICK + ["--out", str(blocker)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert _cli.main(QUICK + ["--out", str(blocker / "sub")]) == 2
    assert "cannot write there" in capsys.readouterr().err
    assert blocker.read_text() == "not a folder"


def test_named_peer_not_installed_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_peers, "find_missing", lambda names: [n for n in names if n == "torch"])
    out = tmp_path / "never"
    assert _cli.main(QUICK[:-1] + ["sklearn,torch", "--out", str(out)]) == 2
    assert "torch requested but not installed" in capsys.readouterr().err
    assert not out.exists()


def test_default_threads_are_powers_of_two_up_to_the_cores():
    assert _cli.default_threads(1) == [1]
    assert _cli.default_threads(2) == [1, 2]
    assert _cli.default_threads(6) == [1, 2, 4, 6]
    assert _cli.default_threads(8) == [1, 2, 4, 8]


def test_peer_names_and_aliases():
    assert _peers.parse_peers("auto") == ("auto", list(_peers.KNOWN))
    assert _peers.parse_peers("none") == ("none", [])
    assert _peers.parse_peers("tf,scikit-learn,torch") == ("names",
                                                          ["tensorflow", "sklearn", "torch"])
    with pytest.raises(ValueError, match="unknown peer"):
        _peers.parse_peers("sklearn,mxnet")


# -- failures and interruptions, on a made-up case ---------------------------------------------


def _fake_case(contenders_factory, reference=1.0, sizes=(10, 20)):
    return Case(
        suite="losses", name="fake", title="fake case", dtype="float64",
        sizes={"small": list(sizes), "default": list(sizes), "large": list(sizes)},
        size_info=lambda n: {"n": n}, size_label=lambda n: f"{n} rows", x_label="rows",
        x_value=lambda n: n, data=lambda n: np.ones(n),
        point=lambda d, t, peers: Point(contenders_factory(d), reference=reference, rtol=1e-9),
        cost=lambda n: 1e-4, repeats=3, warmup=1, min_time=0.0)


def _execute(tmp_path, cases, threads=(1,)):
    import io

    err = io.StringIO()
    code = _cli.execute(cases=cases, out_dir=str(tmp_path), threads=list(threads),
                        size="small", quick=False, peers_mode="none", peer_names=[],
                        plot=False, argv=["(test)"], progress=Progress(err))
    return code, _load(tmp_path), err.getvalue()


def test_failing_contender_is_recorded_not_fatal(tmp_path):
    calls = {"n": 0}

    def oom_later():
        calls["n"] += 1
        if calls["n"] > 3:
            raise MemoryError("cannot allocate 8 GiB")
        return 1.0

    def no_option():
        raise TypeError("f() got an unexpected keyword argument 'n_threads'")

    factory = lambda d: {  # noqa: E731
        "skxent": Contender(lambda: float(d.sum() / d.size), role="skxent"),
        "peer without the option": Contender(no_option),
        "peer out of memory": Contender(oom_later),
        "wrong peer": Contender(lambda: 2.0),
    }
    code, doc, err = _execute(tmp_path, [_fake_case(factory, sizes=(10,))])
    assert code == 0
    _report.validate(doc)
    rows = {r["contender"]: r for r in doc["results"]}
    assert rows["skxent"]["median_s"] is not None and rows["skxent"]["rounds"] == 3
    bad = rows["peer without the option"]
    assert bad["median_s"] is None and bad["ratio"] is None and bad["rounds"] == 0
    assert bad["error"] == "TypeError: f() got an unexpected keyword argument 'n_threads'"
    oom = rows["peer out of memory"]  # check call, warm-up, one round, then MemoryError
    assert oom["error"] == "MemoryError: cannot allocate 8 GiB"
    assert oom["median_s"] is None and oom["rounds"] == 1
    assert rows["wrong peer"]["agrees"] is False and rows["wrong peer"]["error"] is None
    assert "WARNING: wrong peer returned 2.0, the reference is 1.0" in err
    md = open(tmp_path / "results.md").read()
    assert "TypeError: f() got an unexpected keyword argument" in md


def test_data_that_cannot_be_made_is_recorded(tmp_path):
    case = _fake_case(lambda d: {"skxent": Contender(lambda: 1.0, role="skxent")})

    def data(n):
        if n == 20:
            raise MemoryError("no room")
        return np.ones(n)

    case.data = data
    code, doc, _ = _execute(tmp_path, [case])
    assert code == 0
    assert [e["size_label"] for e in doc["errors"]] == ["20 rows"]
    assert "MemoryError: no room" in doc["errors"][0]["error"]
    assert [r["size_label"] for r in doc["results"]] == ["10 rows"]


def test_ctrl_c_keeps_what_was_measured(tmp_path):
    calls = {"n": 0}

    def interrupt_in_round_2():
        calls["n"] += 1
        if calls["n"] == 4:  # check, warm-up, round 1, then Ctrl-C in round 2
            raise KeyboardInterrupt
        return 1.0

    factory = lambda d: {  # noqa: E731
        "skxent": Contender(lambda: 1.0, role="skxent"),
        "peer": Contender(interrupt_in_round_2 if d.size == 20 else (lambda: 1.0)),
    }
    code, doc, err = _execute(tmp_path, [_fake_case(factory)])
    assert code == _cli.EXIT_INTERRUPTED == 130
    _report.validate(doc)
    assert doc["interrupted"] is True
    assert doc["points"] == {"done": 1, "planned": 2}
    first = [r for r in doc["results"] if r["size_label"] == "10 rows"]
    assert {r["rounds"] for r in first} == {3}
    partial = {r["contender"]: r for r in doc["results"] if r["size_label"] == "20 rows"}
    # round 1 complete, and skxent's call of round 2 (it runs first), then the interrupt
    assert partial["skxent"]["partial"] is True and partial["skxent"]["rounds"] == 2
    assert partial["peer"]["rounds"] == 1
    assert "interrupted: keeping what was measured" in err
    assert "Interrupted (Ctrl-C)" in open(tmp_path / "results.md").read()


def test_sigint_stops_a_real_run_and_writes_the_results(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(skxent.__file__)))
    out = tmp_path / "r"
    proc = subprocess.Popen(
        [sys.executable, "-m", "skxent._bench", "--suite", "losses", "--size", "small",
         "--threads", "1", "--peers", "none", "--no-plot", "--repeats", "50",
         "--out", str(out)],
        # not from the repository root: `python -m` puts the current folder first on the path,
        # and there the uncompiled source tree would shadow the installed package
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        deadline = time.time() + 60
        for line in proc.stderr:  # wait until the first point is done: "[1/16] ... (1.2 s): ..."
            if re.match(r"\[1/\d+\] .*\(\d+\.\d s\): ", line) or time.time() > deadline:
                break
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, rest
    doc = _load(out)
    _report.validate(doc)
    assert doc["interrupted"] is True
    assert 1 <= doc["points"]["done"] < doc["points"]["planned"]
    assert any(r["median_s"] for r in doc["results"])


# -- the shared harness ------------------------------------------------------------------------


def test_compare_interleaves_and_records_errors():
    order = []

    def make(name, fail_at=None):
        def f():
            order.append(name)
            if fail_at is not None and order.count(name) == fail_at:
                raise ValueError("boom")
        return f

    res = _harness.compare({"a": make("a"), "b": make("b", fail_at=3), "c": None},
                           repeats=3, warmup=1, on_error="record")
    assert order == ["a", "b", "a", "b", "a", "b", "a"]  # b fails in round 2 and drops out
    assert len(res["a"]["times"]) == 3 and res["a"]["median"] is not None
    assert res["b"] == {"median": None, "times": [res["b"]["times"][0]],
                        "error": "ValueError: boom"}
    assert "c" not in res
    with pytest.raises(ValueError, match="boom"):
        _harness.compare({"b": make("x", fail_at=1)}, repeats=1, warmup=0)


def test_compare_time_budget_and_interrupt():
    res = _harness.compare({"slow": lambda: time.sleep(0.02)}, repeats=50, warmup=0,
                           max_time=0.05, min_repeats=2)
    assert 2 <= len(res["slow"]["times"]) < 10
    n = {"k": 0}

    def f():
        n["k"] += 1
        if n["k"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(_harness.Interrupted) as info:
        _harness.compare({"f": f, "g": lambda: None}, repeats=5, warmup=0)
    assert len(info.value.partial["f"]["times"]) == 2
    assert len(info.value.partial["g"]["times"]) == 2
    assert isinstance(info.value, KeyboardInterrupt)


def test_repository_scripts_use_the_package_harness():
    path = os.path.join(ROOT, "benchmarks", "_harness.py")
    if not os.path.exists(path):
        pytest.skip("not run from a checkout of the repository")
    spec = importlib.util.spec_from_file_location("_bench_scripts_harness", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.compare.__code__.co_filename == _harness.compare.__code__.co_filename
    assert "def compare" not in open(path).read()  # a re-export, not a second copy


def test_console_script_names_the_cli_entry_point():
    path = os.path.join(ROOT, "pyproject.toml")
    if not os.path.exists(path):
        pytest.skip("not run from a checkout of the repository")
    m = re.search(r'^skxent-bench\s*=\s*"([\w.]+):(\w+)"', open(path).read(), re.M)
    assert m, "no skxent-bench console script"
    mod = importlib.import_module(m.group(1))
    entry = getattr(mod, m.group(2))
    assert entry(["--help"]) == 0
