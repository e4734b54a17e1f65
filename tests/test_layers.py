"""The package's layers: no module imports itself back, and each layer loads only what it needs.

Every import counts, wherever it is written (module level, inside a function, or under
TYPE_CHECKING): a circle hidden in a function or a type check is still a circle a reader must
untangle, and the next change turns it into a run-time one.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import tether

PACKAGE = Path(tether.__file__).resolve().parent


def module_names() -> dict[str, Path]:
    """Every module of tether, by dotted name."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The tether modules that module `name` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {target for target in found if target in modules and target != name}


def import_graph() -> dict[str, set[str]]:
    """Module -> the tether modules it imports."""
    modules = module_names()
    return {name: imported(name, path, modules) for name, path in modules.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (its modules in order, the first repeated at the end), if any."""
    on_path, done = 1, 2
    state: dict[str, int] = {}
    for root in sorted(graph):
        if root in state:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = on_path
        while stack:
            target = next(stack[-1], None)
            if target is None:
                stack.pop()
                state[path.pop()] = done
            elif state.get(target) == on_path:
                return [*path[path.index(target):], target]
            elif target not in state:
                state[target] = on_path
                path.append(target)
                stack.append(iter(sorted(graph[target])))
    return None


def loaded_by(statement: str) -> list[str]:
    """The tether modules a fresh interpreter has loaded after running `statement`."""
    code = (f"import json, sys\n{statement}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'tether')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True, cwd=PACKAGE.parent)
    return list(json.loads(out.stdout))


def loaded_of(statement: str, packages: tuple[str, ...]) -> list[str]:
    """The modules in any of `packages` (or named so) a fresh interpreter has loaded after
    running `statement`."""
    code = (f"import sys\n{statement}\nnames = {packages!r}\n"
            "print(sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') "
            "for n in names)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True, cwd=PACKAGE.parent)
    return list(ast.literal_eval(out.stdout.strip()))


def test_the_circle_finder_finds_a_circle_and_passes_a_tree() -> None:
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_imports_in_functions_and_type_checks() -> None:
    graph = import_graph()
    assert "tether.client.proxies" in graph["tether.client.aio"]
    assert "tether.session.manager" in graph["tether.session.guard"]
    assert len(graph) > 100, "every module of the package is in the graph"


def test_no_module_of_tether_imports_itself_back() -> None:
    assert find_circle(import_graph()) is None


def test_the_client_loads_neither_the_session_manager_nor_any_driver() -> None:
    loaded = loaded_by("import tether.client")
    assert "tether.client.sync" in loaded
    assert "tether.session.manager" not in loaded
    assert [m for m in loaded if m.startswith(("tether.drivers", "tether.session"))] == []


def test_the_contract_loads_nothing_of_tether_but_the_errors() -> None:
    loaded = loaded_by("import tether.contract.resource, tether.contract.properties, "
                       "tether.contract.checks, tether.contract.address")
    assert {m for m in loaded if not m.startswith("tether.contract")} == {"tether",
                                                                        "tether.errors"}


def test_the_ownership_guard_is_free_of_the_transports() -> None:
    assert loaded_of("import tether.session.guard", ("grpclib", "aiohttp", "google")) == []


def test_the_old_import_paths_name_the_same_objects() -> None:
    """Public names are a contract: where they moved from, they are re-exported unchanged."""
    from tether import config, contract, drivers, session
    from tether.contract import address, checks, properties, resource
    from tether.drivers import base, motor
    from tether.drivers import resource as old_resource
    from tether.drivers import validate as old_checks
    from tether.session import manager

    assert contract.__doc__
    assert (drivers.Resource, drivers.Actuator) == (resource.Resource, resource.Actuator)
    assert (old_resource.Resource, old_resource.Actuator) == (resource.Resource, resource.Actuator)
    assert (drivers.MotorProperties, motor.MotorProperties) == (properties.MotorProperties,) * 2
    assert (drivers.BaseProperties, base.BaseProperties) == (properties.BaseProperties,) * 2
    assert [getattr(old_checks, name) for name in old_checks.__all__] == [
        getattr(checks, name) for name in old_checks.__all__]
    assert config.parse_listen is address.parse_listen
    assert (manager.MAX_WINDOW, manager.MIN_WINDOW) == (session.MAX_WINDOW, session.MIN_WINDOW)
    assert manager.check_window is session.check_window
    for name in ("SessionManager", "Session", "to_context", "from_context", "safety_monitor",
                 "safety_monitor_resource_name"):
        assert name in session.__all__ and getattr(session, name) is not None


def test_the_decoders_and_control_loops_load_no_pin_library_and_no_driver() -> None:
    """Encoders and control are pure: edges and numbers in, counts and outputs out."""
    assert loaded_of("import tether.encoders, tether.control",
                     ("gpiozero", "pigpio", "lgpio", "serial", "smbus2", "grpclib")) == []
    loaded = loaded_by("import tether.encoders, tether.control")
    assert {m for m in loaded if not m.startswith(("tether.encoders", "tether.control"))} == {
        "tether", "tether.errors", "tether.contract", "tether.contract.checks"}


def test_tethers_parser_loads_no_teleop_stack_no_driver_and_no_asyncio() -> None:
    """`tether serve` (the guardian, then the daemon) builds every subcommand's parser first: on
    a Pi's CPU share the teleop stack's import alone was most of a second of its start."""
    assert loaded_of("import tether.cli\ntether.cli._build_parser()",
                     ("tether.teleop", "tether.drivers", "asyncio", "grpclib")) == []
