"""The layout: three packages named for where they run, with imports that go one way.

* ``protect_lambda`` (``lambda_layer/``), the guard that runs in Lambda: the standard
  library and itself, nothing else;
* ``protect_lambda_construct``, synth time: of the guard only its ``contract``; the two
  scripts it runs in a child interpreter on the staged guard (the bytecode build, the
  configuration check) import the staged guard and the standard library only;
* ``protect_lambda_tools``, a developer's machine: the guard, the standard library and
  its own third-party needs (boto3), never the constructs;
* nothing imports the tools (the example app's stack neither).

Every import counts, including those inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GUARD = REPO / "lambda_layer" / "protect_lambda"
CONSTRUCTS = REPO / "protect_lambda_construct"
TOOLS = REPO / "protect_lambda_tools"
STDLIB = frozenset(sys.stdlib_module_names)

#: Scripts of the constructs that run in a child interpreter on the staged guard package.
STAGED_GUARD_SCRIPTS = frozenset({"bytecode.py", "config_check.py"})
#: The only guard module the constructs import.
CONTRACT = "protect_lambda.contract"
#: Third-party packages each package may import.
CONSTRUCT_DEPENDENCIES = frozenset({"aws_cdk", "constructs", "jsii"})
TOOL_DEPENDENCIES = frozenset({"boto3", "botocore", "mypy_boto3_cloudformation", "mypy_boto3_cloudwatch",
                               "mypy_boto3_lambda", "mypy_boto3_logs", "mypy_boto3_sns", "mypy_boto3_sqs"})


def _module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every name ``source`` imports, absolute: ``import a`` gives ``a``, ``from a import b`` gives ``a.b``.

    Example:
        >>> sorted(imported_modules("from . import contract", "protect_lambda.guard"))
        ['protect_lambda.contract']
    """
    found: set[str] = set()
    base = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                name = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                name = node.module or ""
            found.update(f"{name}.{alias.name}" if alias.name != "*" else name for alias in node.names)
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def guard_violations(imports: set[str]) -> list[str]:
    """What a guard module may not import: anything outside the standard library and the guard."""
    return sorted(name for name in imports if _top(name) not in STDLIB and _top(name) != "protect_lambda")


def construct_violations(imports: set[str], *, staged_script: bool = False) -> list[str]:
    """What a construct module may not import: the guard beyond its contract, the tools."""
    bad = []
    for name in imports:
        top = _top(name)
        if staged_script:  # a bare interpreter with the staged guard: nothing else is there
            if top not in STDLIB and top != "protect_lambda":
                bad.append(name)
        elif top == "protect_lambda":
            if name != CONTRACT and not name.startswith(CONTRACT + "."):
                bad.append(name)
        elif top not in STDLIB | CONSTRUCT_DEPENDENCIES | {"protect_lambda_construct"}:
            bad.append(name)
    return sorted(bad)


def tool_violations(imports: set[str]) -> list[str]:
    """What a tool module may not import: the constructs (or aws-cdk-lib), unknown packages."""
    allowed = STDLIB | TOOL_DEPENDENCIES | {"protect_lambda", "protect_lambda_tools"}
    return sorted(name for name in imports if _top(name) not in allowed)


def _modules(root: Path, package: str) -> list[tuple[str, Path, set[str]]]:
    out = []
    for path in sorted(root.rglob("*.py")):
        name = _module_name(path, root, package)
        out.append((name, path, imported_modules(path.read_text(), name, is_package=path.name == "__init__.py")))
    return out


def test_the_three_packages_exist_where_the_layout_says() -> None:
    assert (GUARD / "wrapper.py").is_file() and (GUARD / "contract.py").is_file()
    assert (CONSTRUCTS / "protection.py").is_file() and (CONSTRUCTS / "bytecode.py").is_file()
    assert (TOOLS / "cli.py").is_file() and (TOOLS / "ops").is_dir()
    for tool in ("cli.py", "commands", "ops", "local_invoke.py", "local_template.py", "filter_pattern.py",
                 "evaluation.py", "bytecode.py", "report.py"):
        assert not (GUARD / tool).exists(), f"{tool} does not run in Lambda: it has no place in the guard"


@pytest.mark.parametrize("name, path, imports", _modules(GUARD, "protect_lambda"),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_the_guard_imports_only_the_standard_library_and_itself(name: str, path: Path, imports: set[str]) -> None:
    assert guard_violations(imports) == [], f"{path.relative_to(REPO)}"


@pytest.mark.parametrize("name, path, imports", _modules(CONSTRUCTS, "protect_lambda_construct"),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_the_constructs_import_only_the_guards_contract(name: str, path: Path, imports: set[str]) -> None:
    staged = path.name in STAGED_GUARD_SCRIPTS
    assert construct_violations(imports, staged_script=staged) == [], f"{path.relative_to(REPO)}"


@pytest.mark.parametrize("name, path, imports", _modules(TOOLS, "protect_lambda_tools"),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_the_tools_import_the_guard_never_the_constructs(name: str, path: Path, imports: set[str]) -> None:
    assert tool_violations(imports) == [], f"{path.relative_to(REPO)}"


def test_nothing_imports_the_tools() -> None:
    importers = [(name, path) for root, package in ((GUARD, "protect_lambda"),
                                                    (CONSTRUCTS, "protect_lambda_construct"))
                 for name, path, imports in _modules(root, package)
                 if any(_top(i) == "protect_lambda_tools" for i in imports)]
    for path in [REPO / "app.py", REPO / "example" / "stack.py", *sorted((REPO / "example" / "functions").glob("*.py"))]:
        if any(_top(i) == "protect_lambda_tools" for i in imported_modules(path.read_text(), "example.x")):
            importers.append(("example", path))
    assert importers == []


@pytest.mark.parametrize("package, source, checker, expected", [
    ("protect_lambda.guard", "import boto3", guard_violations, ["boto3"]),
    ("protect_lambda.guard", "def f():\n    from protect_lambda_tools import cli", guard_violations,
     ["protect_lambda_tools.cli"]),
    ("protect_lambda_construct.x", "from protect_lambda import engine", construct_violations,
     ["protect_lambda.engine"]),
    ("protect_lambda_construct.x", "from protect_lambda.config import load_config", construct_violations,
     ["protect_lambda.config.load_config"]),
    ("protect_lambda_construct.x", "import protect_lambda", construct_violations, ["protect_lambda"]),
    ("protect_lambda_construct.x", "from protect_lambda import Guard, contract", construct_violations,
     ["protect_lambda.Guard"]),
    ("protect_lambda_construct.x", "import protect_lambda_tools.report", construct_violations,
     ["protect_lambda_tools.report"]),
    ("protect_lambda_tools.x", "from protect_lambda_construct import layer", tool_violations,
     ["protect_lambda_construct.layer"]),
    ("protect_lambda_tools.x", "from aws_cdk import App", tool_violations, ["aws_cdk.App"]),
])
def test_the_checks_fail_on_a_wrong_import(package: str, source: str, checker: object, expected: list[str]) -> None:
    assert callable(checker)
    assert checker(imported_modules(source, package)) == expected


def test_relative_imports_resolve_to_their_package() -> None:
    assert imported_modules("from .options import X", "protect_lambda_construct.alerts") == {
        "protect_lambda_construct.options.X"}
    assert "protect_lambda.contract" in imported_modules("from . import contract", "protect_lambda", is_package=True)
    assert construct_violations({CONTRACT, f"{CONTRACT}.MODE_BLOCK"}) == []
    assert construct_violations({"protect_lambda.engine"}, staged_script=True) == []
    assert construct_violations({"aws_cdk"}, staged_script=True) == ["aws_cdk"]
