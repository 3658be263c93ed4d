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

Threat model: anyone who can read the stack (``cloudformation:DescribeStacks``), the
function's configuration (``lambda:GetFunctionConfiguration``) or its log group can
read the seal; those principals can already change the function or its logs. An
attacker who only sends requests cannot learn it: the guard takes it out of
``os.environ`` before the handler's module loads, so a handler that logs its
environment does not print it.

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
