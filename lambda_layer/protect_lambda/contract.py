"""The contract between the runtime guard and the CDK constructs.

Everything that both halves must agree on is defined here, once: the handler
redirect, the environment variables the construct sets and the guard reads, the
field names of the Violation record the guard prints, and the CloudWatch metric
(namespace, name, dimension, filter pattern) the construct derives from it.

The module is pure standard library so that the construct (synth time, any
Python) and the guard (run time, inside Lambda) can both import it.

Example:
    >>> from protect_lambda import contract
    >>> contract.VIOLATION_FILTER_PATTERN
    '{ $.event = "Violation" }'
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Final

#: Version of the guard: every record carries it (``guard_version``), the layer's description names it.
GUARD_VERSION: Final = "0.1.0"

# --- handler redirect -------------------------------------------------------

#: Handler string the construct puts on a protected function.
WRAPPER_HANDLER: Final = "protect_lambda.wrapper.handler"
#: Environment variable holding the user's original handler ("module.function").
ORIGINAL_HANDLER_ENV: Final = "PROTECT_LAMBDA_ORIGINAL_HANDLER"

# --- guard configuration (set by the construct, read by the guard) ----------

#: "block" (default) or "monitor".
MODE_ENV: Final = "PROTECT_LAMBDA_MODE"
#: "open" (default: a guard failure lets the invocation proceed) or "closed".
FAIL_POLICY_ENV: Final = "PROTECT_LAMBDA_FAIL_POLICY"
#: Inline JSON guard configuration (rule overrides, category overrides, custom rules).
CONFIG_ENV: Final = "PROTECT_LAMBDA_CONFIG"
#: Path of a JSON guard configuration file, used when the configuration is too large
#: for Lambda's 4 KB environment limit.
CONFIG_FILE_ENV: Final = "PROTECT_LAMBDA_CONFIG_FILE"

MODE_BLOCK: Final = "block"
MODE_MONITOR: Final = "monitor"
MODES: Final = (MODE_BLOCK, MODE_MONITOR)
FAIL_OPEN: Final = "open"
FAIL_CLOSED: Final = "closed"
FAIL_POLICIES: Final = (FAIL_OPEN, FAIL_CLOSED)
#: What a rule or category override may set: block, report only (monitor), or turn the rule off.
OVERRIDE_ACTIONS: Final = ("block", "monitor", "off")

# --- the Violation record ---------------------------------------------------
# One JSON object per violation, on one line, written to stdout. Lambda sends a
# print()ed line to CloudWatch Logs as is under both log formats (Text and
# JSON), so the record is the whole log event and the filter pattern below
# applies to it directly.

FIELD_EVENT: Final = "event"
FIELD_ACTION: Final = "action"
FIELD_DIRECTION: Final = "direction"
FIELD_RULE_ID: Final = "rule_id"
FIELD_CATEGORY: Final = "category"
FIELD_SEVERITY: Final = "severity"
FIELD_LOCATION: Final = "location"
FIELD_SOURCE: Final = "source"
FIELD_FUNCTION_NAME: Final = "function_name"
FIELD_REQUEST_ID: Final = "request_id"
FIELD_EXCERPT: Final = "excerpt"
FIELD_MODE: Final = "mode"
FIELD_GUARD_VERSION: Final = "guard_version"

#: Value of ``event`` that marks a Violation record (what the metric filter matches).
VIOLATION_MARKER: Final = "Violation"
#: Value of ``event`` that marks a failure of the guard itself (never counted as a violation).
GUARD_ERROR_MARKER: Final = "GuardError"
#: Value of ``event`` for a record about the inspection, not the content: input beyond the
#: guard's limits that did not block (same fields as a Violation; never counted).
INSPECTION_LIMIT_MARKER: Final = "InspectionLimit"
#: Categories of the guard's own limit findings.
LIMIT_CATEGORIES: Final = ("oversize", "uninspected")

ACTION_BLOCKED: Final = "blocked"
ACTION_DETECTED: Final = "detected"
DIRECTION_INBOUND: Final = "inbound"
DIRECTION_OUTBOUND: Final = "outbound"
SEVERITIES: Final = ("low", "medium", "high", "critical")

#: Fields every Violation record carries.
VIOLATION_FIELDS: Final = (
    FIELD_EVENT,
    FIELD_ACTION,
    FIELD_DIRECTION,
    FIELD_RULE_ID,
    FIELD_CATEGORY,
    FIELD_SEVERITY,
    FIELD_LOCATION,
    FIELD_SOURCE,
    FIELD_FUNCTION_NAME,
    FIELD_REQUEST_ID,
    FIELD_EXCERPT,
    FIELD_MODE,
    FIELD_GUARD_VERSION,
)

# --- the CloudWatch metric ----------------------------------------------------

METRIC_NAMESPACE: Final = "ProtectLambda"
METRIC_NAME: Final = "Violations"
#: The metric's only dimension, and the record field its value comes from.
METRIC_DIMENSION: Final = "FunctionName"
METRIC_DIMENSION_FIELD: Final = FIELD_FUNCTION_NAME
#: CloudWatch Logs JSON filter pattern matching exactly the Violation records.
VIOLATION_FILTER_PATTERN: Final = '{ $.%s = "%s" }' % (FIELD_EVENT, VIOLATION_MARKER)
