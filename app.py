#!/usr/bin/env python3
"""The example CDK app: ``npx cdk synth`` (or ``make demo``) synthesizes it.

Two protected functions, an orders API and an orders queue worker, with their
guard layer, log groups, metric filters, alarms, alert topic and dashboard.
"""

from example.stack import build_app

build_app().synth()
