"""The CDK app the AWS integration test deploys: the example stack under a unique name.

The stack name comes from the context value ``protect-lambda:e2e-stack-name``, so
that concurrent runs and an existing ``ProtectLambdaExample`` stack never collide;
its resources (logical ids) are the example's, plus ``JsonLogsApi``: the orders API
again, with the JSON log format at application log level WARN (the guard's records
must reach the log there too).

Example:
    $ npx cdk deploy --app "python tests/aws/deploy_app.py" -c protect-lambda:e2e-stack-name=PlE2e-1a2b
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _path in (HERE.parents[1], HERE):  # the repository (example/) and this directory (helpers.py)
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from aws_cdk import App, Duration
from aws_cdk import aws_lambda as lambda_
from helpers import STACK_NAME_CONTEXT  # type: ignore[import-not-found]  # this directory, see above

from example.stack import FUNCTIONS_DIR, ExampleStack
from protect_lambda_construct import ProtectedFunction


def main(context: dict[str, Any] | None = None, outdir: str | None = None) -> None:
    """Synthesize the example stack under the name given in the context.

    The CDK CLI passes the context and output directory through the environment;
    tests pass them directly (the jsii process started earlier would not see them).
    """
    props: dict[str, Any] = {}
    if context is not None:
        props["context"] = context
    if outdir is not None:
        props["outdir"] = outdir
    app = App(**props)
    name = app.node.try_get_context(STACK_NAME_CONTEXT)
    if not isinstance(name, str) or not name:
        raise SystemExit(f"deploy_app.py: pass -c {STACK_NAME_CONTEXT}=<stack name>")
    stack = ExampleStack(app, name,
                         description="protect-lambda integration test stack (temporary, deleted by the test)")
    ProtectedFunction(stack, "JsonLogsApi", runtime=lambda_.Runtime.PYTHON_3_14,
                      architecture=lambda_.Architecture.ARM_64, handler="orders_api.handler",
                      code=lambda_.Code.from_asset(str(FUNCTIONS_DIR)), timeout=Duration.seconds(10),
                      logging_format=lambda_.LoggingFormat.JSON,
                      application_log_level_v2=lambda_.ApplicationLogLevel.WARN)
    app.synth()


if __name__ == "__main__":
    main()
