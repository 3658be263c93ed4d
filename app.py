#!/usr/bin/env python3
"""The example CDK app: ``npx cdk synth`` (or ``make demo``) synthesizes it.

Two protected functions, an orders API and an orders queue worker, with their
guard layer, log groups, metric filters, alarms, alert topic and dashboard.
"""

import os

# CDK records where each warning was added; in a Python app that is always a line of jsii's
# kernel (".../lib/program.js:1:5591"), which the CLI prints above the warning. Not useful: off
# (set before aws_cdk starts its Node process).
os.environ.setdefault("CDK_DISABLE_STACK_TRACE", "1")

from example.stack import build_app  # noqa: E402

build_app().synth()
