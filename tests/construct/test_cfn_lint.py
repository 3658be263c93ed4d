"""cfn-lint over every synthesized template: no errors, no warnings but those ignored below."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

#: Warnings ignored, by id, each with its reason.
IGNORED: dict[str, str] = {
    "W3005": "aws-cdk-lib's Function declares DependsOn on its service role (and the role's default "
             "policy) on purpose, so the policy exists before the function is invoked; the GetAtt "
             "makes the role part redundant, and harmless.",
}


@pytest.mark.parametrize("stack_name", ["ProtectLambdaExample", "OptionsStack", "OwnResourcesStack"])
def test_template_is_clean(all_templates: dict[str, dict[str, Any]], stack_name: str) -> None:
    template = json.dumps(all_templates[stack_name])
    matches = lint(template, config=ManualArgs(regions=["us-east-1", "eu-west-1"],
                                               ignore_checks=list(IGNORED)))
    findings = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]
    assert findings == []
