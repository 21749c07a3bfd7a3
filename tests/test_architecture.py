"""The package's shape, read from its imports (see docs/architecture.md).

Every ``import`` in toolkit/ is an arrow from one module to another, wherever it stands: at the top of
a module or inside a function (an import inside a function is still a dependency, only a later one).
Imports under ``if TYPE_CHECKING:`` are left out: they are for the type checker and never run.

- No loops: following the arrows from any module never leads back to it.
- Nothing outside toolkit/cli/ imports toolkit.cli (``toolkit/__main__.py``, the entry point, aside).
- Layers: each arrow points to the same package or a lower layer; the one arrow that points up is
  named in ``UPWARD`` and explained in docs/architecture.md. Two packages of one layer do not import
  each other.
- An import inside a function, of a toolkit module or of a heavy library, says why on its line or the
  line above (in toolkit/cli/, one line of the module's docstring may say it for the whole module).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "toolkit"

# Lowest first. A module belongs to its package (toolkit.letters.pack -> letters); the modules at the
# top of toolkit/ are their own (toolkit.build -> build); ``toolkit`` itself is toolkit/__init__.py.
LAYERS: list[set[str]] = [
    {"toolkit", "core", "pack"},  # the model, loading the core files, shared helpers; the pack session
    {"letters", "recipients", "social"},  # capabilities that need only the core
    {"opeds", "send"},  # op-eds use the letters' templates; sending reads the letters' outbox
    {"site", "followup", "load"},  # the site and the follow-up use letters, op-eds and sending
    {"validate", "build"},  # the whole campaign: every check, every output
    {"cli"},  # the command line: the only place that prints or exits
    {"__main__"},  # `python -m toolkit`
]
# The one arrow from a lower layer to a higher one, and why (docs/architecture.md says more).
UPWARD = {
    ("toolkit.pack", "toolkit.send.journal"):
        "a pack session moves send journals that old versions kept in the output folder to the state folder "
        "before it swaps the folder, so that nothing is sent twice",
}
# Libraries that take long to import: imported inside the functions that use them, never at start-up.
HEAVY = {"docx", "openpyxl", "pandas", "PIL", "yagmail", "jinja2", "numpy", "lxml", "babel", "icalendar",
         "twitter_text", "aiosmtpd", "imapclient", "markdown", "weasyprint", "reportlab"}
# Modules exempt from the comment rule while another branch rewrites them (none now; the lead empties it at the merge).
PENDING: dict[str, str] = {}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    local: bool  # inside a function
    path: Path
    line: int


def _modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Yield ``(node, local)`` for every import that runs, ``local`` when it is inside a function."""
    def visit(node, local):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from visit(other, local)
                continue
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, local
            yield from visit(child, inner)
    yield from visit(tree, False)


def _targets(node, name: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """The toolkit modules an import statement loads (``from toolkit.social import ics`` -> toolkit.social.ics)."""
    if isinstance(node, ast.Import):
        out = []
        for alias in node.names:
            parts = alias.name.split(".")
            # ``import toolkit.a.b`` loads toolkit, toolkit.a and toolkit.a.b; the deepest is the arrow
            found = [".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in modules]
            out += found[:1]
        return out
    base = node.module or ""
    if node.level:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    out = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        if candidate in modules:
            out.append(candidate)
        elif base in modules:
            out.append(base)
    return out


def import_graph(root: Path = ROOT) -> list[Edge]:
    modules = _modules(root)
    edges = []
    for name, path in modules.items():
        for node, local in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node, name, path, modules):
                if target != name:
                    edges.append(Edge(name, target, local, path, node.lineno))
    return edges


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_of(module: str) -> int:
    package = package_of(module)
    for number, layer in enumerate(LAYERS):
        if package in layer:
            return number
    raise AssertionError(f"{module}: package «{package}» is in no layer; add it to LAYERS and docs/architecture.md")


def find_loops(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each a loop or several."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return groups


def _where(edge: Edge) -> str:
    return f"{edge.path.relative_to(ROOT.parent)}:{edge.line} {edge.source} -> {edge.target}{' (in a function)' if edge.local else ''}"


def layer_breaks(edges: list[Edge]) -> tuple[list[Edge], list[Edge]]:
    """Arrows that point up a layer, and arrows between two packages of one layer."""
    upward, sideways = [], []
    for edge in edges:
        a, b = package_of(edge.source), package_of(edge.target)
        if a == b:
            continue
        la, lb = layer_of(edge.source), layer_of(edge.target)
        if la < lb:
            upward.append(edge)
        elif la == lb and la != 0:
            sideways.append(edge)
    return upward, sideways


def unexplained_local_imports(root: Path = ROOT) -> list[str]:
    modules = _modules(root)
    found = []
    for name, path in modules.items():
        rel = path.relative_to(root.parent).as_posix()
        if rel in PENDING:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text)
        in_cli = package_of(name) == "cli"
        module_doc = (ast.get_docstring(tree) or "").lower()
        cli_says_why = in_cli and "imported" in module_doc and "start-up" in module_doc
        for node, local in _imports(tree):
            if not local:
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            ours = node.level > 0 if isinstance(node, ast.ImportFrom) else False
            ours = ours or any(n == "toolkit" or n.startswith("toolkit.") for n in names)
            heavy = any(n.split(".")[0] in HEAVY for n in names)
            if not (ours or heavy):
                continue
            if ours and cli_says_why:
                continue
            if not _says_why(lines, node.lineno):
                found.append(f"{rel}:{node.lineno} {lines[node.lineno - 1].strip()}")
    return found


def _says_why(lines: list[str], number: int) -> bool:
    """A comment on the import's line, or above it or above the run of imports (and blank lines) it is in."""
    index = number - 1
    if "#" in lines[index]:
        return True
    while index > 0:
        above = lines[index - 1].strip()
        if above.startswith("#"):
            return True
        if not (above == "" or above.startswith(("import ", "from ", ")")) or above.endswith(",")):
            return False
        index -= 1
    return False


EDGES = import_graph()


def test_the_graph_is_read():
    # A reader that finds nothing passes every test below: make sure it sees the package.
    assert len({e.source for e in EDGES}) > 50
    assert any(e.source == "toolkit.build" and e.target == "toolkit.letters.pack" for e in EDGES)
    assert any(e.local for e in EDGES)  # the command line's lazy imports


def test_no_import_loops():
    loops = find_loops(EDGES)
    assert not loops, "import loops (top-level and in-function imports together):\n" + "\n".join(" ↔ ".join(g) for g in loops)


def test_nothing_outside_cli_imports_cli():
    wrong = [_where(e) for e in EDGES if package_of(e.target) == "cli" and package_of(e.source) not in ("cli", "__main__")]
    assert not wrong, "library code imports the command line:\n" + "\n".join(wrong)


def test_layers_have_one_upward_arrow_named_in_the_docs():
    upward, sideways = layer_breaks(EDGES)
    pairs = {(e.source, e.target) for e in upward}
    assert pairs <= set(UPWARD), "arrows up a layer:\n" + "\n".join(_where(e) for e in upward if (e.source, e.target) not in UPWARD)
    assert len(UPWARD) <= 1
    assert not sideways, "packages of one layer import each other:\n" + "\n".join(_where(e) for e in sideways)
    doc = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for source, target in UPWARD:
        assert f"{source} → {target}" in doc, f"docs/architecture.md does not explain {source} → {target}"


def test_every_package_is_in_a_layer():
    for module in _modules():
        layer_of(module)


def test_function_local_imports_say_why():
    found = unexplained_local_imports()
    assert not found, ("imports inside a function without a comment saying why (a heavy library kept off "
                       "start-up, or a command module's lazy import):\n" + "\n".join(found))


def imports_repeated_in_functions(root: Path = ROOT) -> list[str]:
    """Function-local imports of a name the module already imports at the top (they hide nothing and cost a lookup)."""
    found = []
    for path in _modules(root).values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set()
        for node, local in _imports(tree):
            if not local:
                top.update(_imported_names(node))
        for node, local in _imports(tree):
            if local:
                found.extend(f"{path.relative_to(root.parent).as_posix()}:{node.lineno} {name}"
                             for name in _imported_names(node) if name in top)
    return found


def _imported_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [f"{node.module}.{alias.name}" for alias in node.names]


def test_no_function_imports_again_what_its_module_already_has():
    assert imports_repeated_in_functions() == []


@pytest.mark.parametrize("module, expected", [
    ("toolkit.core.model", 0), ("toolkit.pack", 0), ("toolkit", 0), ("toolkit.social.exports", 1),
    ("toolkit.opeds.plan", 2), ("toolkit.load", 3), ("toolkit.build", 4), ("toolkit.cli.pack", 5),
])
def test_layer_of(module, expected):
    assert layer_of(module) == expected


def test_the_checks_find_what_they_look_for(tmp_path):
    # A small package with a loop, an import of its cli, an upward arrow and a bare local import:
    # each check must see it (the real package has none of them).
    pkg = tmp_path / "toolkit"
    for folder in ("core", "social", "cli"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "a.py").write_text("from toolkit.social import b\n")
    (pkg / "social" / "b.py").write_text("def f():\n    from toolkit.core import a\n    from toolkit.cli import c\n")
    (pkg / "social" / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toolkit.cli import c\n")
    (pkg / "cli" / "c.py").write_text("")
    edges = import_graph(pkg)
    assert find_loops(edges) == [["toolkit.core.a", "toolkit.social.b"]]
    assert [(e.source, e.target) for e in edges if package_of(e.target) == "cli"] == [("toolkit.social.b", "toolkit.cli.c")]
    upward, _ = layer_breaks(edges)
    assert {(e.source, e.target) for e in upward} == {("toolkit.core.a", "toolkit.social.b"), ("toolkit.social.b", "toolkit.cli.c")}
    assert len(unexplained_local_imports(pkg)) == 2
