"""The seal: what makes a Violation record countable, and an attacker's forgery not.

A handler that logs its input prints whatever an attacker sends, including a line
shaped like a Violation record. The metric filter therefore counts only records
that carry the deployment's seal (and the function's own name), which the guard
reads from :data:`~protect_lambda.contract.SEAL_ENV` and puts in every record.

The seal is the random part of the stack's id (``arn:aws:cloudformation:...:stack/
<name>/<uuid>``): CloudFormation makes the uuid when it creates the stack, so the
template holds only ``Fn::Select``/``Fn::Split`` of ``AWS::StackId`` and stays the
same from synth to synth (snapshots and deploys do not change when nothing did),
while the value is fixed for the stack's life and derivable from nothing an
outside caller sees (responses, documentation, construct paths).

Threat model. The seal keeps out what an outside caller can do: make a handler print
text of its choosing. It does not keep out principals of the account: the stack id, and
with it the seal, is readable by anyone who can read the stack
(``cloudformation:DescribeStacks``), the function's configuration
(``lambda:GetFunctionConfiguration``), the metric filter (``logs:DescribeMetricFilters``),
the log group, or the ``aws:cloudformation:stack-id`` tag of any resource of the stack
(``tag:GetResources``, ``lambda:ListTags``...); some of those are read-only permissions,
so a principal who may read but not write could learn it and print a forged line only
through a handler it can make print. The seal is not in the dashboards (which can be
shared) nor in any response or error. The wrapper takes it out of ``os.environ`` before
the handler's module loads, so a handler that logs its environment does not print it; the
process's initial environment block (``/proc/self/environ``) still holds it, as it holds
every variable of the function, so a handler that lets callers read files gives it away
with the rest. It is one value for all the stack's functions (the filter also pins each
function's name) and lasts as long as the stack: replacing the stack replaces it.

Example:
    >>> seal = stack_seal(stack)  # doctest: +SKIP
    >>> stack.resolve(seal)  # doctest: +SKIP
    {'Fn::Select': [2, {'Fn::Split': ['/', {'Ref': 'AWS::StackId'}]}]}
"""

from __future__ import annotations

from aws_cdk import Aws, Fn, Stack
from constructs import IConstruct


def stack_seal(scope: IConstruct) -> str:
    """The seal of ``scope``'s stack: a token for the random uuid in the stack's id."""
    Stack.of(scope)  # the seal belongs to a stack: fail clearly outside one
    return Fn.select(2, Fn.split("/", Aws.STACK_ID))
