"""protect_lambda: the runtime guard that protect-lambda's constructs put in front of a Lambda function.

Example:
    >>> from protect_lambda import Guard
    >>> Guard().inspect_event({"queryStringParameters": {"q": "hello"}}).blocked
    False
"""

__version__ = "0.1.0"
