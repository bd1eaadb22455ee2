"""The layers show in the imports (issue 17): read every module's imports with `ast` (module
level and inside functions) and check them against the rules below.

    core  <  features  <  models  <  reports  <  pipeline        (bench/ beside them)

- A layer imports only itself and the layers before it: `core/` imports nothing of ours;
  `features/`, `models/`, `reports/` never import `pipeline/` (orchestration) or each other
  upwards.
- `pipeline/ingest/` does not import `features/`: the parse macros are in `core/parse.py`,
  and the staging step is passed in by `pipeline/loading.py`.
- `feidan bench` is a user command, but nothing on the audit path imports `bench/`: only the
  CLI modules (`pipeline/cli*.py`) may. `bench/` never imports the CLI back, and nothing but
  the CLI modules imports the CLI, so there is no cycle through anything bench imports either.
- `core/`, `features/`, `models/`, `reports/` never import Prefect; `pipeline/` wires them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["core", "features", "models", "reports", "pipeline"]
PACKAGES = [*LAYERS, "bench"]
NO_PREFECT = ["core", "features", "models", "reports"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the source, at any depth: module level,
    inside functions (lazy imports), under `if TYPE_CHECKING`. `from a import b` yields `a`
    and `a.b` (b may be a module); relative imports are resolved against `module`; a literal
    `importlib.import_module("x")` / `__import__("x")` counts too."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names if alias.name != "*"]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module"
                   or getattr(node.func, "id", None) in ("import_module", "__import__"))):
            found.append((node.lineno, node.args[0].value))
    return found


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def is_cli(name: str) -> bool:
    """pipeline.cli, pipeline.cli_flow, pipeline.cli_report, … (and names inside them)."""
    return name == "pipeline.cli" or name.startswith(("pipeline.cli.", "pipeline.cli_"))


def violations(module: str, imported: str) -> list[str]:
    """Every rule `module` breaks by importing `imported` (empty: allowed)."""
    top, target = module.split(".")[0], imported.split(".")[0]
    broken = []
    if top in LAYERS and target in LAYERS and LAYERS.index(target) > LAYERS.index(top):
        broken.append(f"{top}/ may import only {', '.join(LAYERS[: LAYERS.index(top) + 1])} of ours")
    if within(module, "pipeline.ingest") and target == "features":
        broken.append("ingest does not import features/ (parse macros: core/parse.py; staging: pipeline/loading.py)")
    if target == "bench" and top != "bench" and not is_cli(module):
        broken.append("only the CLI (pipeline/cli*.py) may import bench/: it is not on the audit path")
    if is_cli(imported) and not is_cli(module):
        broken.append("only the CLI modules import the CLI (bench/ importing it would be a cycle)")
    if top in NO_PREFECT and target == "prefect":
        broken.append(f"{top}/ never imports Prefect; pipeline/ wires it")
    return broken


def scanned() -> list[tuple[Path, str]]:
    return [(path, module_name(path)) for package in PACKAGES
            for path in sorted((ROOT / package).rglob("*.py")) if ".venv" not in path.parts]


def test_every_package_is_scanned():
    modules = {name for _, name in scanned()}
    for package in PACKAGES:
        assert package in modules, f"{package}/ has no __init__.py here: the scan would miss it"
    assert {"core.contract", "core.settings", "core.warehouse", "core.parse", "pipeline.loading",
            "pipeline.ingest.load", "pipeline.cli", "bench.run", "reports.export"} <= modules


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layers(package):
    problems: dict[tuple[str, int, str], str] = {}  # one line per import statement and rule
    for path, module in scanned():
        if module.split(".")[0] != package:
            continue
        source = path.read_text(encoding="utf-8")
        for line, imported in imports_of(source, module, path.name == "__init__.py"):
            for rule in violations(module, imported):
                problems.setdefault((str(path.relative_to(ROOT)), line, rule), imported)
    assert not problems, "\n".join(f"{path}:{line} imports {imported}: {rule}"
                                    for (path, line, rule), imported in sorted(problems.items()))


def test_shared_basics_are_in_core_not_pipeline():
    """No shim left behind: the moved modules exist only in core/."""
    for name in ("contract", "settings", "warehouse"):
        assert (ROOT / "core" / f"{name}.py").is_file()
        assert not (ROOT / "pipeline" / f"{name}.py").exists(), f"pipeline/{name}.py is back"
    assert (ROOT / "core" / "sql" / "parse_macros.sql").is_file()
    assert not list((ROOT / "features").rglob("macros*.sql"))


# The checker itself: each rule fails on a bad import, wherever in the module it is.
@pytest.mark.parametrize("module,source,broken", [
    ("features.build", "from pipeline.contract import TABLES", True),
    ("models.scoring", "def f():\n    from pipeline import settings\n", True),  # lazy import
    ("reports.export", "import bench.run", True),
    ("models.cases", "from reports.build import Case", True),
    ("core.files", "from features import catalog", True),
    ("core.parse", "from . import contract", False),  # relative: core.contract
    ("pipeline.flow", "from .cli import app", True),  # relative: pipeline.cli
    ("pipeline.ingest", "from ..cli_flow import run", True),  # relative, from a package's __init__
    ("pipeline.ingest", "from .load import load_bundle", False),
    ("pipeline.ingest.load", "from features.staging import build_staging", True),
    ("pipeline.ingest.load", "def f():\n    import features.staging\n", True),
    ("pipeline.ingest.validate", "from core.parse import install_macros", False),
    ("pipeline.flow", "from bench.run import run_bench", True),
    ("pipeline.tasks", "import importlib\nimportlib.import_module('bench.stage')", True),
    ("pipeline.cli", "def bench():\n    from bench.run import run_bench\n", False),
    ("bench.stage", "from pipeline.cli import app", True),
    ("bench.stage", "from pipeline import cli_flow", True),
    ("bench.stage", "from pipeline.flow import audit", False),
    ("pipeline.flow", "from pipeline import cli", True),
    ("reports.render", "from prefect import task", True),
    ("pipeline.loading", "from features.staging import build_staging", False),
])
def test_the_checker_catches_bad_imports(module, source, broken):
    is_package = module == "pipeline.ingest"
    found = [rule for _, imported in imports_of(source, module, is_package)
             for rule in violations(module, imported)]
    assert bool(found) == broken, found
