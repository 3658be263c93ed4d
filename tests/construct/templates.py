"""Helpers to read synthesized templates in tests."""

from __future__ import annotations

import json
import re
from typing import Any

Template = dict[str, Any]

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """The resources of one type, by logical id."""
    return {key: value for key, value in template["Resources"].items() if value["Type"] == resource_type}


def one(template: Template, resource_type: str, **where: Any) -> tuple[str, dict[str, Any]]:
    """The single resource of a type whose properties include ``where``."""
    found = [
        (key, value) for key, value in resources(template, resource_type).items()
        if all(value.get("Properties", {}).get(name) == expected for name, expected in where.items())
    ]
    assert len(found) == 1, f"expected one {resource_type} with {where}, found {len(found)}"
    return found[0]


def normalised(template: Template) -> Template:
    """The template with asset hashes replaced, so that a snapshot changes only with infrastructure."""
    text = _ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True))
    result: Template = json.loads(text)
    return result
