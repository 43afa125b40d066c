"""Data flows one way between cfm's packages: the import graph has no cycle.

Every `import cfm.x` / `from cfm.x import ...` counts, including those inside functions.
Run `python tests/unit/test_import_layers.py` to print the graph as a one-way list.
"""

from __future__ import annotations

import ast
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "cfm"


def _unit(path: Path) -> str:
    """A package under cfm (cfm.nlp, cfm.pipeline...) or a top-level module (cfm.cli, cfm.config...)."""
    rel = path.relative_to(PLUGIN).with_suffix("")
    return "cfm." + rel.parts[0]


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PLUGIN.rglob("*.py")):
        src = _unit(path)
        graph.setdefault(src, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names] if node.module == "cfm" else [node.module]
            for name in names:
                parts = name.split(".")
                if parts[0] == "cfm" and len(parts) > 1:
                    dst = "cfm." + parts[1]
                    if dst != src:
                        graph[src].add(dst)
    return graph


def layers(graph: dict[str, set[str]]) -> list[str]:
    """Packages in dependency order (each imports only ones before it); raises on a cycle."""
    order: list[str] = []
    done: set[str] = set()
    visiting: list[str] = []

    def visit(n: str) -> None:
        if n in done:
            return
        if n in visiting:
            cycle = visiting[visiting.index(n):] + [n]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        visiting.append(n)
        for m in sorted(graph.get(n, ())):
            visit(m)
        visiting.pop()
        done.add(n)
        order.append(n)

    for n in sorted(graph):
        visit(n)
    return order


def test_the_package_import_graph_has_no_cycle() -> None:
    order = layers(import_graph())
    assert order.index("cfm.config") < order.index("cfm.pipeline")


def test_a_back_edge_is_caught() -> None:
    graph = {k: set(v) for k, v in import_graph().items()}
    graph["cfm.warehouse"].add("cfm.pipeline")  # e.g. warehouse calling a stage
    try:
        layers(graph)
    except AssertionError as exc:
        assert "cfm.warehouse" in str(exc) and "cfm.pipeline" in str(exc)
    else:
        raise AssertionError("a cycle went unnoticed")


def test_lower_layers_do_not_reach_up() -> None:
    graph = import_graph()
    assert "cfm.nlp" not in graph["cfm.warehouse"], "warehouse must not call into nlp (the ml DDL lives in nlp)"
    assert "cfm.privacy" not in graph["cfm.nlp"], "redaction is an nlp step"
    assert not graph["cfm.sources"] & {"cfm.warehouse", "cfm.pipeline", "cfm.nlp", "cfm.quality", "cfm.privacy"}


if __name__ == "__main__":
    g = import_graph()
    for name in layers(g):
        print(f"{name:<16} imports {', '.join(sorted(g[name])) or '-'}")
