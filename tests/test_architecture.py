"""The house rules of docs/architecture.md, checked on the source with ``ast``.

No import circles; each subpackage imports only from the layers below it (or beside it);
streamlit only in regviz/ui; plotting imports no other regviz subpackage but errors;
pages import only regviz.ui, regviz.plotting, streamlit and the standard library;
imports at the top of modules (a local import says why); no module ``__getattr__``;
files stay small.
"""

import ast
import sys
from pathlib import Path

from support import ROOT

PACKAGE = ROOT / "regviz"
PAGES = ROOT / "app_pages"
# lowest first; a unit may import units of its own or a lower layer (docs/architecture.md)
LAYERS = [
    {"errors", "limits", "threads"},
    {"sequence", "devices", "distributed"},
    {"genome", "motifs", "plotting"},
    {"data"},
    {"simulate"},
    {"models"},
    {"checkpoints"},
    {"predict"},
    {"training"},
    {"attribution", "gradcam", "filters", "spacing", "concepts", "importers", "costs",
     "discovery", "variants"},
    {"cli", "train", "shipped", "scan"},
    {"ui"},
]
RANK = {unit: k for k, layer in enumerate(LAYERS) for unit in layer}
MAX_MODULE_LINES, MAX_PAGE_LINES = 450, 120


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, package: str):
    """(imported module, line number, at module level?) for every import statement."""
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((full if full in MODULES else base, node.lineno, id(node) in top_level))
    return out


def _graph() -> dict:
    graph = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        graph[name] = {m for m, _, _ in _imports(path, package)
                       if m in MODULES and m != name and not m.startswith(name + ".")}
    return graph


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "regviz"


def _cycles(graph: dict) -> list:
    """Strongly connected components with more than one node (Tarjan)."""
    sys.setrecursionlimit(10000)
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circles_between_modules_or_subpackages():
    graph = _graph()
    assert _cycles(graph) == []
    units = {}
    for a, targets in graph.items():
        units.setdefault(_unit(a), set()).update(_unit(b) for b in targets if _unit(b) != _unit(a))
    assert _cycles(units) == []


def test_every_subpackage_imports_only_from_its_layer_or_below():
    units = {_unit(m) for m in MODULES} - {"regviz"}
    assert units <= set(RANK), f"place {sorted(units - set(RANK))} in LAYERS"
    upward = [f"{a} -> {b}" for a, targets in _graph().items() for b in targets
              if "regviz" not in (_unit(a), _unit(b)) and _unit(b) != _unit(a)
              and RANK[_unit(b)] > RANK[_unit(a)]]
    assert upward == []


def test_streamlit_only_in_regviz_ui():
    offenders = [f"{name}:{line}" for name, path in MODULES.items() if _unit(name) != "ui"
                 for mod, line, _ in _imports(path, name) if mod.split(".")[0] == "streamlit"]
    assert offenders == []


def test_plotting_imports_no_regviz_subpackage_but_errors():
    used = {_unit(m) for name, path in MODULES.items() if _unit(name) == "plotting"
            for m, _, _ in _imports(path, name) if m.startswith("regviz")}
    assert used <= {"plotting", "errors"}


def test_pages_import_only_the_ui_and_plotting():
    stdlib = set(sys.stdlib_module_names)
    for path in [*sorted(PAGES.glob("*.py")), ROOT / "app.py"]:
        for mod, line, _ in _imports(path, ""):
            top = mod.split(".")[0]
            ok = (top in stdlib or top == "streamlit" or mod.startswith(("regviz.ui",
                                                                        "regviz.plotting")))
            assert ok, f"{path.name}:{line} imports {mod}"


def test_imports_at_the_top_and_no_module_getattr():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        seen_code = False
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                seen_code = True
                assert node.name != "__getattr__", f"{name} defines a module __getattr__"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                assert not seen_code, f"{name}:{node.lineno}: an import below the code"
        lines = path.read_text().splitlines()
        for mod, line, top in _imports(path, name):
            assert top or "local:" in lines[line - 1], (
                f"{name}:{line} imports {mod} inside a function without saying why "
                "(a comment 'local: ...')")


def test_files_stay_small():
    big = {name: n for name, path in MODULES.items()
           if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert big == {}
    pages = {p.name: n for p in PAGES.glob("*.py")
             if (n := len(p.read_text().splitlines())) > MAX_PAGE_LINES}
    assert pages == {}


def test_public_entry_points_keep_their_names():
    import importlib
    import subprocess

    names = {
        "regviz.sequence": ["parse_sequences", "one_hot", "decode", "reverse_complement",
                            "dinucleotide_shuffle"],
        "regviz.genome": ["Genome", "parse_region", "tile"],
        "regviz.motifs": ["jaspar", "tomtom", "fimo"],
        "regviz.simulate": ["make_dataset"],
        "regviz.models": ["build", "summary"],
        "regviz.training": ["train", "TrainConfig", "JobManager"],
        "regviz.checkpoints": ["load", "save", "list_checkpoints", "dataset_from_card", "Card"],
        "regviz.importers": ["import_file"],
        "regviz.predict": ["predict"],
        "regviz.attribution": ["attribute", "ism"],
        "regviz.gradcam": ["gradcam", "scan_region", "call_cores"],
        "regviz.filters": ["filter_pwms", "match_filters", "filter_influence"],
        "regviz.spacing": ["spacing_experiment", "make_backgrounds"],
    }
    for module, attrs in names.items():
        mod = importlib.import_module(module)
        for attr in attrs:
            assert callable(getattr(mod, attr)), f"{module}.{attr}"
            assert attr in getattr(mod, "__all__", [attr]), f"{attr} not in {module}.__all__"
    for command in ("regviz.train", "regviz.shipped"):
        out = subprocess.run([sys.executable, "-m", command, "--help"], capture_output=True,
                             text=True, cwd=ROOT, timeout=120)
        assert out.returncode == 0 and "usage:" in out.stdout, out.stderr
