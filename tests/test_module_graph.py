"""skxent's modules import one another in one direction only: no cycles, layers pointing down.

The graph is read from the source (every ``import`` statement, at module level or inside a
function: a function-level import is still an edge, it only hides it from import time), so a
circle cannot come back unnoticed. The layers, lowest first:

0. kernels: the compiled bindings and the version;
1. argument conventions: validation, thread resolution;
2. the engine: loss families, reductions; the kernels' softmax and sigmoid functions;
3. internal users of the engine: the log-loss computations, label encoding, sampled losses,
   the linear models' objective, solvers and estimator machinery;
4. backends: Dask;
5. backend selection;
6. public modules;
7. tools: the showcase, the benchmark tool, the package itself.

An import may point to its own layer or below, never up. A new module must be placed in a
layer here (the test fails on a module it does not know).
"""

import ast
import pathlib

import pytest

import skxent

PACKAGE_DIR = pathlib.Path(skxent.__file__).parent

LAYERS = {
    0: ["skxent._core", "skxent._brier", "skxent._fused", "skxent._version"],
    1: ["skxent._config", "skxent._validation"],
    2: ["skxent._engine", "skxent._special"],
    3: ["skxent._metrics_labels", "skxent._log_loss", "skxent._proba_metrics", "skxent._sampled",
        "skxent.linear_model._linear_loss", "skxent.linear_model._solvers",
        "skxent.linear_model._base"],
    4: ["skxent._dask", "skxent.linear_model._dask_loss"],
    5: ["skxent._backends"],
    6: ["skxent.losses", "skxent.special", "skxent.metrics", "skxent.linear_model",
        "skxent.linear_model._softmax", "skxent.linear_model._multilabel",
        "skxent.linear_model._softmax_cv"],
    7: ["skxent", "skxent.__main__", "skxent._showcase", "skxent._bench"],
}
RANK = {m: r for r, mods in LAYERS.items() for m in mods}


def _rank(module):
    """A module's layer; a subpackage listed in LAYERS places all its modules."""
    while module not in RANK and "." in module:
        module = module.rpartition(".")[0]
    return RANK.get(module)


def _module_name(path):
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_modules():
    mods = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")) + sorted(PACKAGE_DIR.rglob("*.pyx")):
        if "_bench" in path.parts and path.suffix == ".pyx":
            continue
        mods[_module_name(path)] = path
    return mods


def _edges(mods):
    """``{module: {imported skxent modules}}`` from every import statement in the source."""
    edges = {}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        targets = set()
        if path.suffix == ".pyx":  # Cython: only `cimport`/`import` of Python modules matter
            edges[name] = targets
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "skxent":
                        targets.add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    if node.level > 1:
                        base = base[: len(base) - (node.level - 1)]
                    base = ".".join(base)
                    mod = f"{base}.{node.module}" if node.module else base
                else:
                    mod = node.module or ""
                if mod.split(".")[0] != "skxent":
                    continue
                for alias in node.names:
                    sub = f"{mod}.{alias.name}"
                    targets.add(sub if sub in mods else mod)
        targets.discard(name)
        edges[name] = {t for t in targets if t in mods}
    return edges


MODULES = _source_modules()
EDGES = _edges(MODULES)


def test_every_module_has_a_layer():
    unknown = sorted(m for m in MODULES if _rank(m) is None)
    assert not unknown, f"place these modules in a layer of {__name__}.LAYERS: {unknown}"


def test_import_graph_has_no_cycle():
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(EDGES, WHITE)
    stack = []

    def visit(m):
        colour[m] = GREY
        stack.append(m)
        for t in sorted(EDGES[m]):
            if colour[t] == GREY:
                cycle = stack[stack.index(t):] + [t]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if colour[t] == WHITE:
                visit(t)
        stack.pop()
        colour[m] = BLACK

    for m in sorted(EDGES):
        if colour[m] == WHITE:
            visit(m)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_to_the_same_layer_or_below(module):
    if _rank(module) is None:
        pytest.skip("not placed in a layer (see test_every_module_has_a_layer)")
    upward = sorted(t for t in EDGES[module] if (_rank(t) or -1) > _rank(module))
    assert not upward, (
        f"{module} (layer {_rank(module)}) imports higher layers: "
        + ", ".join(f"{t} (layer {_rank(t)})" for t in upward))


def test_the_graph_reader_sees_function_level_imports():
    # the engine is imported inside functions nowhere today, but _dask imports the label
    # encoder inside functions: those edges must be in the graph
    assert "skxent._metrics_labels" in EDGES["skxent._dask"]
    assert "skxent._engine" in EDGES["skxent.losses"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_opens_with_a_design_note(module):
    path = MODULES[module]
    text = path.read_text()
    if path.suffix == ".pyx":
        tree_doc = text.split('"""')[1] if '"""' in text else ""
    else:
        tree_doc = ast.get_docstring(ast.parse(text)) or ""
    assert len(tree_doc.strip()) > 40, f"{module} has no design note at its top"


def test_nothing_in_the_package_cites_a_contract_outside_the_repository():
    for path in list(PACKAGE_DIR.rglob("*.py")) + list(PACKAGE_DIR.rglob("*.pyx")) + \
            list(PACKAGE_DIR.rglob("*.h")):
        assert "../shared" not in path.read_text(), path
