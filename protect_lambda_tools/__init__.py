"""protect_lambda_tools: what runs on a developer's machine, never inside Lambda or at synth.

The ``protect-lambda`` command (:mod:`protect_lambda_tools.cli`) and what it runs:
scanning and scoring labelled events (:mod:`~protect_lambda_tools.evaluation`),
running a handler locally behind the guard (:mod:`~protect_lambda_tools.local_invoke`),
reading a synthesized template (:mod:`~protect_lambda_tools.local_template`),
evaluating CloudWatch Logs filter patterns (:mod:`~protect_lambda_tools.filter_pattern`),
operating a deployed stack with boto3 (:mod:`~protect_lambda_tools.ops`) and
``make demo``'s summary (:mod:`~protect_lambda_tools.report`).

Imports go one way: the tools import the guard (:mod:`protect_lambda`) and its
contract; neither the guard nor the constructs import the tools.

Example:
    $ protect-lambda scan events.jsonl
"""
