"""The boto3 clients the ops commands use, from the standard credential and region chain.

``--profile`` and ``--region`` override the usual resolution (environment
variables, shared config and credentials files, SSO, instance and container
roles). Retries use botocore's ``standard`` mode, so throttling is retried
with back-off before it becomes an error.

Example:
    >>> clients = make_clients(region="eu-west-1")  # doctest: +SKIP
    >>> clients.logs.describe_log_groups(limit=1)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_sns import SNSClient

#: Attempts per call (the first one included) before throttling becomes an error.
MAX_ATTEMPTS = 8


@dataclass
class Clients:
    """Lazily created clients of one boto3 session (tests pass their own ``factory``).

    Example:
        >>> made = []
        >>> c = Clients(factory=lambda name: made.append(name) or name)
        >>> c.logs, c.logs, made
        ('logs', 'logs', ['logs'])
    """

    factory: Callable[[str], Any]
    _cache: dict[str, Any] = field(default_factory=dict)

    def _get(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self.factory(name)
        return self._cache[name]

    @property
    def cloudformation(self) -> CloudFormationClient:
        """The CloudFormation client (created on first use)."""
        return self._get("cloudformation")  # type: ignore[no-any-return]

    @property
    def lambda_(self) -> LambdaClient:
        """The Lambda client (created on first use)."""
        return self._get("lambda")  # type: ignore[no-any-return]

    @property
    def logs(self) -> CloudWatchLogsClient:
        """The CloudWatch Logs client (created on first use)."""
        return self._get("logs")  # type: ignore[no-any-return]

    @property
    def cloudwatch(self) -> CloudWatchClient:
        """The CloudWatch client (created on first use)."""
        return self._get("cloudwatch")  # type: ignore[no-any-return]

    @property
    def sns(self) -> SNSClient:
        """The SNS client (created on first use)."""
        return self._get("sns")  # type: ignore[no-any-return]


def make_clients(region: str | None = None, profile: str | None = None) -> Clients:
    """Clients of a boto3 session; raises botocore errors (translated by the CLI) on bad config."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(profile_name=profile, region_name=region)
    config = Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        user_agent_extra="protect-lambda-cli",
    )

    def factory(name: str) -> Any:
        return session.client(name, config=config)  # type: ignore[call-overload]

    return Clients(factory=factory)
