"""The runtime's import graph: no cycle between modules, and every import goes down the layers.

Every module under ``runtime/ftpy_runtime/`` is parsed (not imported), and every ``import``
statement in it counts, wherever it is: at module level, inside a function, under
``if TYPE_CHECKING:``.  A cycle fails naming the modules in it; an import against the layer
order of ``ftpy_runtime/__init__.py`` fails naming the importing file and line.
"""

from __future__ import annotations

import ast
import json
import os
import re
import unittest
from dataclasses import dataclass

PACKAGE = "ftpy_runtime"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE_DIR = os.path.join(ROOT, "runtime", PACKAGE)

#: The layers of ``ftpy_runtime/__init__.py``, lowest first: a module may import its own layer
#: and those before it.  The entry points at the top of the package (``__main__``, ``remote``)
#: sit above everything.
LAYERS = ("user_code", "objectmodel", "tracing", "world", "debugger", "views", "agent", "runner")
ENTRY_POINTS = ("__main__", "remote", "__init__")
#: The race detector is self-contained: it may import itself and the base layer only, and only
#: the runner (and the entry points) may import it.
RACE = "race"
RACE_MAY_IMPORT = ("race", "user_code")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    file: str
    line: int


def module_name(path: str) -> str:
    rel = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))
    parts = rel[: -len(".py")].split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover() -> dict[str, str]:
    """module name -> file, for every module and package of the runtime."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                found[module_name(path)] = path
    return found


def imports(name: str, path: str, modules: dict[str, str]) -> list[Edge]:
    """The runtime modules that ``name`` imports, wherever the import statement is."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    is_package = os.path.basename(path) == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    edges: list[Edge] = []

    def add(target: str, node: ast.stmt) -> None:
        if target in modules and target != name:
            edges.append(Edge(name, target, path, node.lineno))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts)
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
                if not (source == PACKAGE or source.startswith(PACKAGE + ".")):
                    continue
            for alias in node.names:
                # ``from pkg import mod`` imports the module; ``from mod import name`` the module.
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in modules else source, node)
    return edges


def graph() -> tuple[dict[str, str], list[Edge]]:
    modules = discover()
    edges = [e for name, path in modules.items() for e in imports(name, path, modules)]
    return modules, edges


def cycles(modules: dict[str, str], edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a cycle path."""
    succ: dict[str, list[str]] = {m: [] for m in modules}
    for e in edges:
        succ[e.source].append(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(cycle_path(sorted(component), succ))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    return found


def cycle_path(component: list[str], succ: dict[str, list[str]]) -> list[str]:
    """One concrete cycle through a strongly connected component, for the failure message."""
    members = set(component)
    start = component[0]
    path = [start]
    seen = {start}
    v = start
    while True:
        nxt = next(w for w in succ[v] if w in members)
        if nxt in seen:
            return path[path.index(nxt) :] + [nxt]
        path.append(nxt)
        seen.add(nxt)
        v = nxt


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def rank(layer: str) -> int:
    if layer in ENTRY_POINTS:
        return len(LAYERS)
    return LAYERS.index(layer)


class ImportGraphTest(unittest.TestCase):
    def test_the_graph_is_read(self) -> None:
        modules, edges = graph()
        self.assertIn("ftpy_runtime.debugger.core", modules)
        self.assertIn(
            ("ftpy_runtime.debugger.core", "ftpy_runtime.tracing.selection"),
            {(e.source, e.target) for e in edges},
            "an import the debugger is known to make is found",
        )
        # Function-level imports count too: the launcher imports the race detector lazily.
        self.assertIn(("ftpy_runtime.runner.launch", "ftpy_runtime.race"), {(e.source, e.target) for e in edges})

    def test_no_import_cycle(self) -> None:
        modules, edges = graph()
        found = cycles(modules, edges)
        self.assertEqual(found, [], "import cycles: " + "; ".join(" -> ".join(c) for c in found))

    def test_cycles_are_detected(self) -> None:
        """The detector itself, on a graph with a known cycle (so the test above can fail)."""
        modules = {m: m for m in ("a", "b", "c", "d")}
        edges = [Edge("a", "b", "a", 1), Edge("b", "c", "b", 1), Edge("c", "a", "c", 1), Edge("c", "d", "c", 2)]
        self.assertEqual(cycles(modules, edges), [["a", "b", "c", "a"]])

    def test_imports_go_down_the_layers(self) -> None:
        modules, edges = graph()
        known = set(LAYERS) | set(ENTRY_POINTS) | {RACE}
        self.assertEqual({layer_of(m) for m in modules} - known, set(), "every module belongs to a declared layer")
        wrong: list[str] = []
        for e in edges:
            src, dst = layer_of(e.source), layer_of(e.target)
            where = f"{os.path.relpath(e.file, PACKAGE_DIR)}:{e.line} imports {e.target}"
            if src == RACE:
                if dst not in RACE_MAY_IMPORT:
                    wrong.append(f"{where} (the race detector imports only itself and user_code)")
            elif dst == RACE:
                if src not in ("runner", *ENTRY_POINTS):
                    wrong.append(f"{where} (only the runner starts the race detector)")
            elif rank(dst) > rank(src):
                wrong.append(f"{where} ({src} may not import the higher layer {dst})")
        self.assertEqual(wrong, [])


class PyrightConfigTest(unittest.TestCase):
    """pyright's "strict" takes a list of paths; a new module or layer must not miss it."""

    def test_every_part_of_the_runtime_but_race_is_strict(self) -> None:
        with open(os.path.join(ROOT, "pyrightconfig.json"), encoding="utf-8") as f:
            text = re.sub(r"^\s*//.*$", "", f.read(), flags=re.MULTILINE)  # JSON with comments
        config = json.loads(text)
        self.assertEqual(config["pythonVersion"], "3.13")
        strict = {os.path.normpath(os.path.join(ROOT, p)) for p in config["strict"]}
        entries = {os.path.join(PACKAGE_DIR, n) for n in os.listdir(PACKAGE_DIR) if n != "__pycache__"}
        entries = {e for e in entries if os.path.isdir(e) or e.endswith(".py")}
        self.assertEqual(sorted(entries - strict), [os.path.join(PACKAGE_DIR, RACE)], "only race/ is left out of strict")


if __name__ == "__main__":
    unittest.main()
