"""Operations on a deployed protect-lambda stack, with boto3 (the ``protect-lambda`` ops commands).

Nothing here runs inside Lambda: these modules are imported by the CLI's
``violations``, ``status``, ``test-alert`` and ``check-filter`` commands, inside
their ``run()``, so that ``protect-lambda scan`` never pays for boto3.

* :mod:`.errors`: AWS / credential errors as one-line messages and exit codes;
* :mod:`.session`: the boto3 clients (standard credential and region resolution);
* :mod:`.discovery`: the protected functions of a stack, their log groups,
  metric filters and alarms;
* :mod:`.window`: ``--since 1h`` durations;
* :mod:`.violations`, :mod:`.status`, :mod:`.alerts`, :mod:`.filter_check`:
  one module per command; :mod:`.samples`: Violation records from the local guard.

Example:
    >>> from protect_lambda_tools.ops.window import parse_duration
    >>> parse_duration("1h30m").total_seconds()
    5400.0
"""
