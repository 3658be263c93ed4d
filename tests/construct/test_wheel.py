"""The wheel carries the guard layer: an app outside this repository synthesizes with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

APP = textwrap.dedent('''
    import json, sys
    import protect_lambda, protect_lambda_construct
    from aws_cdk import App, Stack, aws_lambda as lambda_
    from protect_lambda_construct import ProtectedFunction

    app = App(outdir="cdk.out")
    stack = Stack(app, "OutsideStack")
    runtime = getattr(lambda_.Runtime, "PYTHON_%d_%d" % sys.version_info[:2])  # this Python's: bytecode is built
    ProtectedFunction(stack, "Fn", runtime=runtime, handler="index.handler",
                      code=lambda_.Code.from_asset("src"))
    app.synth()
    print(json.dumps({"guard": protect_lambda.__file__, "construct": protect_lambda_construct.__file__}))
''')


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(REPO)], check=True, cwd=out)
    (built,) = out.glob("protect_lambda-*.whl")
    return built


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("protect_lambda/wrapper.py", "protect_lambda/contract.py", "protect_lambda/py.typed",
                     "protect_lambda/regex_cache.py", "protect_lambda_construct/bytecode.py",
                     "protect_lambda_construct/protected_function.py", "protect_lambda_construct/py.typed",
                     "protect_lambda_tools/cli.py", "protect_lambda_tools/py.typed"):
        assert required in names, required
    assert any(name.startswith("protect_lambda/rules/") and name.endswith(".json") for name in names)
    assert not any(name.startswith(("tests/", "example/", "lambda_layer/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "protect-lambda = protect_lambda_tools.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_app_outside_the_repository_synthesizes_with_the_layer(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True)
    app_dir = tmp_path / "app"
    (app_dir / "src").mkdir(parents=True)
    (app_dir / "src" / "index.py").write_text("def handler(event, context):\n    return {}\n")
    (app_dir / "app.py").write_text(APP)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PROTECT_LAMBDA_PYTHON_%d_%d" % sys.version_info[:2])  # tests/conftest.py's "none": build it here
    result = subprocess.run([sys.executable, "app.py"], cwd=app_dir, env=env, check=True,
                            capture_output=True, text=True)
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported["guard"].startswith(str(site)), "the guard was not imported from the installed wheel"
    assert imported["construct"].startswith(str(site))

    template = json.loads((app_dir / "cdk.out" / "OutsideStack.template.json").read_text())
    (layer,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    asset = app_dir / "cdk.out" / f"asset.{layer['Properties']['Content']['S3Key'].removesuffix('.zip')}"
    assert (asset / "python" / "protect_lambda" / "wrapper.py").is_file()
    assert list((asset / "python" / "protect_lambda" / "rules").glob("*.json"))
    # the layer's bytecode, built by the wheel's protect_lambda_construct/bytecode.py with this interpreter
    tag = sys.implementation.cache_tag
    assert (asset / "python" / "protect_lambda" / "__pycache__" / f"wrapper.{tag}.pyc").is_file()
    assert (asset / "python" / "protect_lambda" / "precompiled" / f"rules.{tag}.marshal").is_file()
    assert not (asset / "python" / "protect_lambda_construct").exists()
    assert not (asset / "python" / "protect_lambda_tools").exists()
