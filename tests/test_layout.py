"""The package's shape stays readable: no import cycle among its modules (imports inside functions and under
`if TYPE_CHECKING:` count too), nothing below config imports config, no module over 400 lines, no function
over 80 (docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hamming_site"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The builder modules `path` imports anywhere in its body: `from a.b import c` is a.b.c where that is a
    module, else a.b; relative imports resolved against the module's package."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {m for m in out if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_imports_inside_functions():
    graph = _graph()
    assert "hamming_site.builder.build" in graph["hamming_site.builder.cli"]  # cli imports build in a function


def test_no_import_cycle_among_the_builders_modules():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_nothing_below_config_imports_config():
    above = {f"hamming_site.builder.{m}" for m in ("cli", "build", "evaluate", "options")}
    importers = {m for m, deps in _graph().items() if "hamming_site.builder.config" in deps}
    assert importers <= above, sorted(importers - above)


def test_no_module_or_function_too_long_to_read_at_once():
    long = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert not long, long


# Python's tiers, lowest first (docs/architecture.md): a module imports from its own tier or below, never above
TIERS = [
    {"builder", "data", "web"},  # version, format version, UserError, shared names; the shipped data and page files
    {"teacher", "input", "lexical"},  # the teacher; pages -> documents -> passages; the keyword index
    {"output"},  # every file format of the site (codes, static rows, clusters, shards, manifest, names)
    {"model"},  # what is trained (binarizer, students, static encoder)
    {"search", "reuse", "training", "stages", "config"},  # the page's twin; the two makers of meaning; the run
    {"build", "options"},  # the pipeline; options from the CLI, the API and the plugins
    {"evaluate"},  # site-eval: builds, then ranks through search/rank.py
    {"cli"},  # the only module that prints
    {"hamming_site", "__main__", "sphinx", "mkdocs"},  # the API, python -m, the integrations
]
MAX_PARAMETERS = 12
WEB = PACKAGE / "web"
UI = {"search.js", "widget.js"}  # the page's and the widget's UIs: the public API (api.js) and UI helpers only
UI_IMPORTS = {"api.js", "highlight.js", "choices.js"}


def _room(module: str) -> str:
    parts = module.split(".")
    if parts[:2] == ["hamming_site", "builder"]:
        return parts[2] if len(parts) > 2 else "builder"
    return parts[1] if len(parts) > 1 else "hamming_site"


def test_every_room_has_a_tier_and_imports_only_downwards():
    tier = {room: n for n, rooms in enumerate(TIERS) for room in rooms}
    graph = _graph()
    assert {_room(m) for m in graph} <= set(tier), sorted({_room(m) for m in graph} - set(tier))
    upwards = sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps if tier[_room(d)] > tier[_room(m)])
    assert not upwards, upwards


def test_no_function_takes_more_than_twelve_parameters():
    many = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
                n = len([p for p in params if p.arg not in ("self", "cls")])
                if n > MAX_PARAMETERS:
                    many.append(f"{name}.{node.name}: {n}")
    assert not many, many


def test_the_build_resolves_the_device_once_and_branches_on_a_reuse_once():
    build = (PACKAGE / "builder" / "build.py").read_text(encoding="utf-8")
    calls = [p for p in _modules().values() for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "resolve_device"]
    assert len(calls) == 1, calls
    body = next(n for n in ast.parse(build).body if isinstance(n, ast.FunctionDef) and n.name == "build_site")
    on_previous = [n for n in ast.walk(body) if isinstance(n, (ast.If, ast.IfExp))
                   and "previous" in {x.id for x in ast.walk(n.test) if isinstance(x, ast.Name)}]
    assert len(on_previous) == 1, [ast.unparse(n.test) for n in on_previous]


def _js_imports(path: Path) -> set[str]:
    """The page modules a script imports, statically or with import()."""
    text = path.read_text(encoding="utf-8")
    return set(re.findall(r'(?:from|import\()\s*"\./([\w.]+\.js)"', text))


def test_the_page_scripts_are_short_acyclic_and_the_uis_use_the_public_api():
    scripts = {p.name: p for p in WEB.glob("*.js")}
    long = [f"{n}: {len(p.read_text().splitlines())} lines" for n, p in scripts.items()
            if len(p.read_text().splitlines()) > MAX_MODULE_LINES]
    assert not long, long
    graph = {n: _js_imports(p) & set(scripts) for n, p in scripts.items()}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)
    for ui in UI:
        assert graph[ui] <= UI_IMPORTS, (ui, sorted(graph[ui] - UI_IMPORTS))
