"""Imports point one way: site (sayso) → apps → core, with no circle between apps.

The graph is read from the source (ast), so an import written inside a function counts as
much as one at the top of a module: a circle held together by deferred imports is still a
circle, and it means a rule lives in the wrong room. ``apps.get_model("app", "Model")``
strings are Django's own late binding and are not imports.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest
from django.apps import apps as django_apps

ROOT = Path(__file__).resolve().parents[2]
# Python reserves the name `site`, so the folder site/ is the package `sayso`.
PACKAGE_DIRS = {"site": "sayso"}


def project_apps():
    """The project's own packages: the installed apps that live in this repository, and sayso."""
    names = {"sayso"}
    for config in django_apps.get_app_configs():
        path = Path(config.path).resolve()
        if ROOT in path.parents and path.parent == ROOT:
            names.add(config.name.split(".")[0])
    return names


def package_of(path):
    top = path.relative_to(ROOT).parts[0]
    return PACKAGE_DIRS.get(top, top)


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    parts[0] = PACKAGE_DIRS.get(parts[0], parts[0])
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    """Every Python module of the project's packages, as (package, module name, path)."""
    packages = project_apps()
    for folder, package in {
        folder: PACKAGE_DIRS.get(folder, folder) for folder in {p.name for p in ROOT.iterdir()}
    }.items():
        if package not in packages:
            continue
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield package, module_name(path), path


def imported_modules(path, module):
    """Every module a file imports, wherever the import is written, as (name, line)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module
            yield name, node.lineno


def import_edges():
    """{(from package, to package): [where, ...]} for imports between the project's packages."""
    packages = project_apps()
    edges = defaultdict(list)
    for package, module, path in project_modules():
        for name, line in imported_modules(path, module):
            target = name.split(".")[0]
            if target in packages and target != package:
                where = f"{path.relative_to(ROOT)}:{line} imports {name}"
                if where not in edges[(package, target)]:
                    edges[(package, target)].append(where)
    return edges


def module_edges(predicate):
    """The imports of modules for which predicate(module name) holds, into other packages."""
    packages = project_apps()
    found = []
    for package, module, path in project_modules():
        if not predicate(module):
            continue
        for name, line in imported_modules(path, module):
            target = name.split(".")[0]
            if target in packages and target != package:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(found))


def cycles(edges):
    """A circle through each strongly connected group of two or more packages."""
    graph = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(set(graph) | {t for targets in graph.values() for t in targets}):
        if node not in index:
            visit(node)
    return [_circle_through(group, graph) for group in groups]


def _circle_through(group, graph):
    """A shortest circle from the group's first package back to itself, inside the group."""
    start = group[0]
    paths = [[start]]
    seen = set()
    while paths:
        path = paths.pop(0)
        for succ in sorted(graph[path[-1]] & set(group)):
            if succ == start:
                return [*path, start]
            if succ not in seen:
                seen.add(succ)
                paths.append([*path, succ])
    raise AssertionError(f"no circle through {group}")  # a strongly connected group has one


def describe(circle, edges):
    """The circle, then every import between the packages it runs through."""
    lines = [" → ".join(circle)]
    for source, target in zip(circle, circle[1:], strict=False):
        examples = edges[(source, target)]
        lines.append(f"  {source} → {target} ({len(examples)} imports), e.g.:")
        lines.extend(f"    {where}" for where in examples[:5])
    return "\n".join(lines)


def circles_of(edges):
    """Every shortest circle through each pair of packages that import each other, and the
    circle of each larger group, so a failure names each loop to cut."""
    found = cycles(edges)
    pairs = sorted(
        [source, target, source]
        for (source, target) in edges
        if source < target and (target, source) in edges
    )
    return [*pairs, *(circle for circle in found if circle not in pairs)]


# -- the reader itself -----------------------------------------------------------------------


def test_the_reader_finds_imports_inside_functions_and_relative_ones(tmp_path):
    source = (
        "import stories.models\n"
        "from consent import selectors\n"
        "from .models import Story\n"
        "def later():\n"
        "    from compensation.selectors import owed\n"
        "    import workspace\n"
    )
    path = tmp_path / "module.py"
    path.write_text(source)

    found = {name for name, _line in imported_modules(path, "advisory.services")}

    assert {
        "stories.models",
        "consent",
        "advisory.models",
        "compensation.selectors",
        "workspace",
    } <= found


def test_the_cycle_finder_names_the_circle_and_the_imports():
    edges = {
        ("a", "b"): ["a/x.py:1 imports b.y"],
        ("b", "c"): ["b/y.py:2 imports c.z"],
        ("c", "a"): ["c/z.py:3 imports a.x"],
        ("c", "d"): ["c/z.py:4 imports d"],
    }

    found = cycles(edges)

    assert found == [["a", "b", "c", "a"]]
    assert describe(found[0], edges).splitlines()[:3] == [
        "a → b → c → a",
        "  a → b (1 imports), e.g.:",
        "    a/x.py:1 imports b.y",
    ]


def test_the_project_packages_are_the_apps_of_this_repository():
    assert {"sayso", "core", "stories", "consent", "compensation", "advisory"} <= project_apps()
    assert "wagtail" not in project_apps()


def test_the_rules_read_this_repositorys_own_imports_and_settings():
    # The control for the rules below: each asserts an absence, which an empty graph would
    # satisfy too. Site → apps → core is the direction the design names.
    assert {("sayso", "stories"), ("stories", "consent"), ("consent", "core")} <= set(
        import_edges()
    )
    settings_modules = {
        module
        for _package, module, _path in project_modules()
        if module.startswith("sayso.settings")
    }
    assert {"sayso.settings.base", "sayso.settings.production"} <= settings_modules


# -- the rules -------------------------------------------------------------------------------


def test_no_circle_between_the_apps():
    edges = import_edges()
    found = circles_of(edges) if cycles(edges) else []

    assert not found, "Imports between apps go round in a circle:\n" + "\n".join(
        describe(circle, edges) for circle in found
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [("consent", "stories"), ("stories", "workspace")],
)
def test_an_app_does_not_import_what_is_built_on_it(source, target):
    assert import_edges().get((source, target), []) == []


def test_core_imports_no_app():
    assert [(s, t) for (s, t) in import_edges() if s == "core"] == []


def test_no_app_imports_the_site_package():
    assert [(s, t) for (s, t) in import_edges() if t == "sayso"] == []


def test_settings_import_no_app_code():
    assert module_edges(lambda name: name.startswith("sayso.settings")) == []
