"""Errors of the ops commands: one line on stderr, a distinct exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

from botocore.config import Config
from botocore.stub import Stubber
from protect_lambda_tools.cli import main
from protect_lambda_tools.ops import errors, session

COMMANDS = (
    ["violations", "--stack", "S"],
    ["status", "--stack", "S"],
    ["test-alert", "--stack", "S"],
    ["check-filter", "--stack", "S"],
)


def _assert_one_line(err: str, fragment: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("protect-lambda: ")
    assert fragment in err


@pytest.mark.parametrize("argv", COMMANDS)
def test_no_credentials(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(argv) == errors.EXIT_CREDENTIALS
    _assert_one_line(capsys.readouterr().err, "no AWS credentials found")


def test_no_region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main(["status", "--stack", "S"]) == errors.EXIT_CREDENTIALS
    _assert_one_line(capsys.readouterr().err, "no AWS region")


def test_unknown_profile(aws_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--stack", "S", "--profile", "nope"]) == errors.EXIT_CREDENTIALS
    _assert_one_line(capsys.readouterr().err, "AWS profile not found")


def _stubbed(monkeypatch: pytest.MonkeyPatch, add: Callable[[Stubber], None]) -> Stubber:
    client = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(client)
    add(stubber)
    stubber.activate()

    def make_clients(region: str | None = None, profile: str | None = None) -> session.Clients:
        def factory(name: str) -> Any:
            assert name == "cloudformation", name  # the error comes from the first call
            return client

        return session.Clients(factory=factory)

    monkeypatch.setattr(session, "make_clients", make_clients)
    return stubber


@pytest.mark.parametrize(
    ("code", "status", "exit_code", "fragment"),
    [
        ("Throttling", 400, errors.EXIT_THROTTLED, "AWS throttled ListStackResources"),
        ("ThrottlingException", 400, errors.EXIT_THROTTLED, "wait a moment and retry"),
        ("AccessDenied", 403, errors.EXIT_ACCESS_DENIED, "access denied to ListStackResources"),
        ("ExpiredToken", 400, errors.EXIT_CREDENTIALS, "AWS rejected the credentials (ExpiredToken)"),
        ("InvalidClientTokenId", 403, errors.EXIT_CREDENTIALS, "rejected the credentials"),
        ("ValidationError", 400, errors.EXIT_NOT_FOUND, "Stack with id S does not exist"),
        ("InternalFailure", 500, errors.EXIT_AWS, "AWS error in ListStackResources (InternalFailure)"),
    ],
)
@pytest.mark.parametrize("argv", COMMANDS)
def test_aws_errors_map_to_exit_codes(
    argv: list[str], code: str, status: int, exit_code: int, fragment: str,
    aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    message = "Stack with id S does not exist" if code == "ValidationError" else "boom\nsecond line"
    _stubbed(monkeypatch, lambda s: s.add_client_error("list_stack_resources", code, message, status))
    assert main(argv) == exit_code
    _assert_one_line(capsys.readouterr().err, fragment)


def test_unreachable_endpoint(aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1)
    client = boto3.client("cloudformation", endpoint_url="http://127.0.0.1:9", config=config)
    monkeypatch.setattr(
        session, "make_clients", lambda region=None, profile=None: session.Clients(factory=lambda name: client)
    )
    assert main(["status", "--stack", "S"]) == errors.EXIT_AWS
    _assert_one_line(capsys.readouterr().err, "cannot reach AWS")


def test_internal_error_is_one_line(aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from protect_lambda_tools.ops import discovery

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug\nwith two lines")

    monkeypatch.setattr(discovery, "discover", broken)
    monkeypatch.setattr(session, "make_clients", lambda region=None, profile=None: session.Clients(factory=lambda n: None))
    assert main(["violations", "--stack", "S"]) == errors.EXIT_INTERNAL
    _assert_one_line(capsys.readouterr().err, "internal error: RuntimeError: bug with two lines")


def test_interrupt(aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(region: str | None = None, profile: str | None = None) -> session.Clients:
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "make_clients", interrupted)
    assert main(["violations", "--stack", "S", "--follow"]) == errors.EXIT_INTERRUPTED
    _assert_one_line(capsys.readouterr().err, "interrupted")


def test_exit_codes_are_distinct() -> None:
    codes = [
        errors.EXIT_OK, errors.EXIT_CHECK_FAILED, errors.EXIT_USAGE, errors.EXIT_CREDENTIALS,
        errors.EXIT_NOT_FOUND, errors.EXIT_ACCESS_DENIED, errors.EXIT_THROTTLED, errors.EXIT_AWS,
        errors.EXIT_INTERNAL, errors.EXIT_INTERRUPTED,
    ]
    assert len(set(codes)) == len(codes)


def test_translate_ignores_other_errors() -> None:
    assert errors.translate_error(ValueError("x")) is None
    same = errors.OpsError("x", 4)
    assert errors.translate_error(same) is same
