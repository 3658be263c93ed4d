"""Python files of a checkout that are not packages the tools import, loaded from their path:
``proxy/build.py``, the constructs' ``regex_translation.py`` (the tools do not depend on the
constructs' CDK), and the benchmark scripts the tests drive.

Example:
    >>> from pathlib import Path
    >>> import protect_lambda_tools.proxy_binary as this
    >>> load_file("proxy_binary_again", Path(this.__file__)).BINARY
    'protect-lambda-proxy'
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_file(name: str, path: Path) -> ModuleType:
    """The module in ``path``, run once under ``name`` (registered in ``sys.modules``, which
    dataclasses and postponed annotations need); ImportError when it cannot be loaded."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
