"""Shared test set-up: run jsii (aws-cdk-lib) on the project's own supported Node."""

from __future__ import annotations

import os
from pathlib import Path

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
