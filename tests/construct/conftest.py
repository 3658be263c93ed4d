"""Session fixtures: every test app is synthesized once and shared by many assertions.

The example app's fixtures, which the tools' tests use too, are in ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api

from .apps import build_aspect_app, build_many_app, build_options_app


@pytest.fixture(scope="session")
def options_assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    outdir = tmp_path_factory.mktemp("options-cdk-out")
    return build_options_app(str(outdir)).synth()


@pytest.fixture(scope="session")
def options_template(options_assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    template: dict[str, Any] = options_assembly.get_stack_by_name("OptionsStack").template
    return template


@pytest.fixture(scope="session")
def encrypted_template(options_assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    template: dict[str, Any] = options_assembly.get_stack_by_name("EncryptedStack").template
    return template


@pytest.fixture(scope="session")
def own_resources_template(options_assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    template: dict[str, Any] = options_assembly.get_stack_by_name("OwnResourcesStack").template
    return template


@pytest.fixture(scope="session")
def all_templates(example_assembly: cx_api.CloudAssembly, options_assembly: cx_api.CloudAssembly,
                  aspect_assembly: cx_api.CloudAssembly,
                  many_assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    """Every synthesized template of the test apps, by stack name."""
    templates = {}
    for assembly in (example_assembly, options_assembly, aspect_assembly, many_assembly):
        for stack in assembly.stacks:
            templates[stack.stack_name] = stack.template
    return templates


def asset_dir(assembly: cx_api.CloudAssembly, s3_key: str) -> Path:
    """The staged directory of a zip asset, from its S3 key."""
    return Path(assembly.directory) / f"asset.{s3_key.removesuffix('.zip')}"


def source_files(package: Path) -> set[str]:
    """The files of a package folder (relative paths), without the bytecode the layer build adds."""
    return {path.relative_to(package).as_posix() for path in package.rglob("*")
            if path.is_file() and not {"__pycache__", "precompiled"} & set(path.relative_to(package).parts)}


@pytest.fixture(scope="session")
def aspect_assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    outdir = tmp_path_factory.mktemp("aspect-cdk-out")
    return build_aspect_app(str(outdir)).synth()


@pytest.fixture(scope="session")
def many_assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    outdir = tmp_path_factory.mktemp("many-cdk-out")
    return build_many_app(str(outdir)).synth()
