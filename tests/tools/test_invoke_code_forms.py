"""``protect-lambda invoke`` on the code forms real apps use: inline code, zip assets, zipped layers.

One app with a function of each form, synthesized once; each is then run from the template,
emulated (the runtime client is tested on the example app) and with the user's cache in a
temporary folder.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Aspects, Stack
from aws_cdk import aws_lambda as lambda_

from protect_lambda_construct import ProtectLambdas
from protect_lambda_tools.cli import main as cli_main

INLINE = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"inline": True, "q": event.get("q")})}
'''
ZIPPED = '''
from helper import greeting
def handler(event, context):
    return {"statusCode": 200, "body": greeting(event.get("name", "you"))}
'''
NEEDS_REQUESTS = '''
import requests_that_are_not_bundled
def handler(event, context):
    return {}
'''


@pytest.fixture(scope="module")
def template_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("code-forms")
    code_zip = work / "code.zip"
    with zipfile.ZipFile(code_zip, "w") as bundle:
        bundle.writestr("app.py", ZIPPED)
    layer_zip = work / "layer.zip"
    with zipfile.ZipFile(layer_zip, "w") as bundle:
        bundle.writestr("python/helper.py", "def greeting(name):\n    return 'hello ' + name\n")
    app = App(outdir=str(work / "cdk.out"))
    stack = Stack(app, "CodeForms")
    lambda_.Function(stack, "Inline", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                     code=lambda_.Code.from_inline(INLINE))
    lambda_.Function(stack, "Zipped", runtime=lambda_.Runtime.PYTHON_3_12, handler="app.handler",
                     code=lambda_.Code.from_asset(str(code_zip)),
                     layers=[lambda_.LayerVersion(stack, "Helpers", code=lambda_.Code.from_asset(str(layer_zip)))])
    lambda_.Function(stack, "Missing", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                     code=lambda_.Code.from_inline(NEEDS_REQUESTS))
    Aspects.of(app).add(ProtectLambdas())
    app.synth()
    return work / "cdk.out" / "CodeForms.template.json"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _invoke(template_file: Path, function: str, event: dict[str, Any], tmp_path: Path,
            capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    code = cli_main(["invoke", "--template", str(template_file), "--function", function, "--runtime", "emulated",
                     "--json", *extra, str(event_file)])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_inline_code_runs(template_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _invoke(template_file, "Inline", {"q": "shoes"}, tmp_path, capsys)
    assert code == 0
    [item] = doc["invocations"]
    assert json.loads(item["response"]["body"]) == {"inline": True, "q": "shoes"}
    assert doc["function"]["original_handler"] == "index.handler"


def test_inline_code_is_still_guarded(template_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _invoke(template_file, "Inline", {"q": "<script>alert(1)</script>"}, tmp_path, capsys)
    [item] = doc["invocations"]
    assert item["error"]["errorType"] == "GuardBlockedError" and len(item["violations"]) == 1
    assert code == 0  # the record is matched by the template's metric filter


def test_zip_asset_and_zipped_layer_run(template_file: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _invoke(template_file, "Zipped", {"name": "ana"}, tmp_path, capsys)
    assert code == 0, doc
    [item] = doc["invocations"]
    assert item["response"]["body"] == "hello ana"
    assert (tmp_path / "cache" / "protect-lambda").is_dir()  # unpacked into the user's cache, not cdk.out


def test_env_given_on_the_command_line_is_not_called_unset(template_file: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = _invoke(template_file, "Inline", {"q": "x"}, tmp_path, capsys, "--env", "PROTECT_LAMBDA_SEAL=abc")
    assert not any("PROTECT_LAMBDA_SEAL" in note for note in doc["function"]["notes"])


def test_missing_package_gets_a_hint(template_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = _invoke(template_file, "Missing", {}, tmp_path, capsys)
    [item] = doc["invocations"]
    assert item["error"]["errorType"] == "Runtime.ImportModuleError"
    assert "pip install --target" in item["hint"] and "requests_that_are_not_bundled" in item["hint"]
