"""Shared test set-up: run jsii (aws-cdk-lib) on the project's own supported Node."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_LOCAL_NODE = REPO / "node_modules" / ".bin" / "node"

# `make test` exports JSII_NODE already; this covers a bare `pytest` in a set-up checkout.
if "JSII_NODE" not in os.environ and _LOCAL_NODE.exists():
    os.environ["JSII_NODE"] = str(_LOCAL_NODE)
