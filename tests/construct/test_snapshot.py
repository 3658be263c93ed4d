"""Snapshots of the synthesized templates (asset hashes normalised).

Update after an intended infrastructure change with ``make snapshot-update``.
"""

from __future__ import annotations

from typing import Any

from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from .templates import normalised


def test_example_app_snapshot(example_template: dict[str, Any], snapshot: SnapshotAssertion) -> None:
    assert normalised(example_template) == snapshot(extension_class=JSONSnapshotExtension)


def test_options_app_snapshots(all_templates: dict[str, dict[str, Any]], snapshot: SnapshotAssertion) -> None:
    for name in ("OptionsStack", "OwnResourcesStack"):
        assert normalised(all_templates[name]) == snapshot(name=name, extension_class=JSONSnapshotExtension)


def test_normalisation_removes_only_asset_hashes(example_template: dict[str, Any]) -> None:
    text = str(normalised(example_template))
    assert "<asset-hash>" in text
    assert "protect_lambda.wrapper.handler" in text
