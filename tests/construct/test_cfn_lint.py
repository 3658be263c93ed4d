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


#: Warnings ignored in one test stack only, by id, with the reason.
IGNORED_IN: dict[str, dict[str, str]] = {
    "MixedStack": {
        "W2531": "The Aspect test keeps deprecated runtimes (python3.9, python3.10) on purpose: 3.10 "
                 "must still be protected, 3.9 left alone with a warning.",
    },
}

STACKS = ["ProtectLambdaExample", "OptionsStack", "EncryptedStack", "OwnResourcesStack", "MixedStack",
          "OtherStack", "ManyStack"]


def test_every_synthesized_stack_is_linted(all_templates: dict[str, dict[str, Any]]) -> None:
    assert sorted(all_templates) == sorted(STACKS)


@pytest.mark.parametrize("stack_name", STACKS)
def test_template_is_clean(all_templates: dict[str, dict[str, Any]], stack_name: str) -> None:
    template = json.dumps(all_templates[stack_name])
    matches = lint(template, config=ManualArgs(regions=["us-east-1", "eu-west-1"],
                                               ignore_checks=[*IGNORED, *IGNORED_IN.get(stack_name, {})]))
    findings = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]
    assert findings == []
