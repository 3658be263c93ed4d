"""Sub-commands of the ``protect-lambda`` console script, one module each (see ``cli.py``)."""
