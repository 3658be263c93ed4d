"""Shared test set-up: run jsii (aws-cdk-lib) on the project's own supported Node; the example app.

aws-cdk-lib is imported only inside the fixtures: the guard's tests also run on
CPython 3.14 under Pyodide (``make test-py314``), which has no jsii.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aws_cdk import cx_api

REPO = Path(__file__).resolve().parent.parent
_LOCAL_NODE = REPO / "node_modules" / ".bin" / "node"

# `make test` exports JSII_NODE already; this covers a bare `pytest` in a set-up checkout.
if "JSII_NODE" not in os.environ and _LOCAL_NODE.exists():
    os.environ["JSII_NODE"] = str(_LOCAL_NODE)

# The guard layer's bytecode is made by a Python interpreter of each function's runtime
# version when the machine has one (protect_lambda_construct.layer.bytecode_interpreter):
# test apps are built without it, so their templates and warnings do not depend on which
# Pythons the machine has. tests/construct/test_layer_bytecode.py builds layers with it.
for _minor in range(10, 15):
    os.environ[f"PROTECT_LAMBDA_PYTHON_3_{_minor}"] = "none"


@pytest.fixture(scope="session")
def example_assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    """The example app, synthesized once, with cdk-nag's AwsSolutions checks on."""
    from example.stack import build_app

    outdir = tmp_path_factory.mktemp("example-cdk-out")
    return build_app(outdir=str(outdir)).synth()


@pytest.fixture(scope="session")
def example_template(example_assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    """The example stack's template."""
    from example.stack import STACK_NAME

    template: dict[str, Any] = example_assembly.get_stack_by_name(STACK_NAME).template
    return template
