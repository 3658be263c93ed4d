"""The contract between the runtime guard and the CDK constructs.

Everything that both halves must agree on is defined here, once: the handler
redirect, the environment variables the construct sets and the guard reads, the
fields of the Violation record the guard prints, its log level, and the
CloudWatch metric (namespace, name, dimension, filter pattern) the construct
derives from it.

The module is pure standard library so that the construct (synth time, any
Python) and the guard (run time, inside Lambda) can both import it.

Example:
    >>> from protect_lambda import contract
    >>> contract.violation_filter_pattern("orders", "0f1e")
    '{ ($.event = "Violation") && ($.function_name = "orders") && ($.seal = "0f1e") }'
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Final

#: Version of the guard: every record carries it (``guard_version``), the layer's description names it.
GUARD_VERSION: Final = "0.2.0"

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
#: How an HTTP API (payload 2.0) authorizer refuses: "auto" (default), "simple" or "iam". Overrides
#: ``authorizer_response`` of the configuration document (the construct sets it when it sees the
#: authorizer).
AUTHORIZER_RESPONSE_ENV: Final = "PROTECT_LAMBDA_AUTHORIZER_RESPONSE"
#: Path of a JSON guard configuration file, used when the configuration is too large
#: for Lambda's 4 KB environment limit.
CONFIG_FILE_ENV: Final = "PROTECT_LAMBDA_CONFIG_FILE"
#: The seal: a value only the deployment knows, carried by every Violation record and required
#: by the metric filter, so that a line the handler prints (attacker input it logs) is never
#: counted. The construct derives it from the stack's id, which CloudFormation makes at random
#: when it creates the stack; the wrapper takes it out of ``os.environ`` before the handler loads.
SEAL_ENV: Final = "PROTECT_LAMBDA_SEAL"

MODE_BLOCK: Final = "block"
MODE_MONITOR: Final = "monitor"
MODES: Final = (MODE_BLOCK, MODE_MONITOR)
FAIL_OPEN: Final = "open"
FAIL_CLOSED: Final = "closed"
FAIL_POLICIES: Final = (FAIL_OPEN, FAIL_CLOSED)
#: The score at which a request (or a batch record) is blocked: the total of its findings' scores,
#: each rule counted once. A rule of this score blocks alone; weaker ones need each other.
BLOCK_SCORE: Final = 5
#: Sensitivity levels: level N turns on the rules of levels 1..N (1, the default, keeps benign
#: traffic blocked at or under 0.1%; higher levels catch more and block more benign traffic).
SENSITIVITY_LEVELS: Final = (1, 2, 3, 4)
DEFAULT_SENSITIVITY: Final = 1
#: What a rule or category override may set: block, report only (monitor), or turn the rule off.
OVERRIDE_ACTIONS: Final = ("block", "monitor", "off")
#: Custom-resource requests (CloudFormation's, directly or through CDK's provider framework):
#: handed to the handler uninspected (the default), or inspected like any other event.
CUSTOM_RESOURCES_SKIP: Final = "skip"
CUSTOM_RESOURCES_INSPECT: Final = "inspect"
CUSTOM_RESOURCE_POLICIES: Final = (CUSTOM_RESOURCES_SKIP, CUSTOM_RESOURCES_INSPECT)
#: How a Lambda authorizer of an HTTP API (payload 2.0) says no: ``simple`` (``isAuthorized``),
#: ``iam`` (a policy), or ``auto`` (both; each format reads its own fields).
AUTHORIZER_AUTO: Final = "auto"
AUTHORIZER_SIMPLE: Final = "simple"
AUTHORIZER_IAM: Final = "iam"
AUTHORIZER_RESPONSES: Final = (AUTHORIZER_AUTO, AUTHORIZER_SIMPLE, AUTHORIZER_IAM)

# --- the Violation record ---------------------------------------------------
# One JSON object per blocked (or, in monitor mode, flagged) inspection, on one line,
# written to stdout: at most one for the event (before the handler runs) and one for
# the response, and for batch sources one per blocked record. It carries all the
# findings of that inspection. Lambda sends the line to CloudWatch Logs as it is
# under the Text log format; under the JSON log format it files a JSON object by its
# "level" and RFC 3339 "timestamp" (an object without both is filed as INFO) and
# drops what is below the function's application log level: the record carries
# both, at RECORD_LEVEL.

FIELD_EVENT: Final = "event"
FIELD_LEVEL: Final = "level"
FIELD_TIMESTAMP: Final = "timestamp"
FIELD_SEAL: Final = "seal"
FIELD_FUNCTION_NAME: Final = "function_name"
FIELD_REQUEST_ID: Final = "request_id"
FIELD_ACTION: Final = "action"
FIELD_DIRECTION: Final = "direction"
FIELD_SOURCE: Final = "source"
FIELD_MODE: Final = "mode"
# the leading finding (blocking first, then the most severe): what dashboards group by
FIELD_RULE_ID: Final = "rule_id"
FIELD_CATEGORY: Final = "category"
FIELD_SEVERITY: Final = "severity"
FIELD_LOCATION: Final = "location"
FIELD_EXCERPT: Final = "excerpt"
#: Every finding of the inspection: a list of objects with the fields of FINDING_FIELDS.
FIELD_FINDINGS: Final = "findings"
#: How many distinct findings (rule, location) the inspection made; ``findings`` holds at most 20.
FIELD_FINDING_COUNT: Final = "finding_count"
#: In each entry of ``findings``: what that finding adds to the total (see BLOCK_SCORE).
FIELD_SCORE: Final = "score"
#: The record's findings' scores added up, each rule once (blocked at BLOCK_SCORE).
FIELD_TOTAL_SCORE: Final = "total_score"
#: Batch sources: the blocked record's index in the batch and its identifier (SQS message id,
#: Kinesis / DynamoDB sequence number), as reported in ``batchItemFailures``.
FIELD_RECORD_INDEX: Final = "record_index"
FIELD_ITEM_ID: Final = "item_id"
FIELD_GUARD_VERSION: Final = "guard_version"

#: Fields of each entry of ``findings``.
FINDING_FIELDS: Final = (
    FIELD_RULE_ID, FIELD_CATEGORY, FIELD_SEVERITY, FIELD_ACTION, FIELD_SCORE, FIELD_LOCATION, FIELD_EXCERPT,
)

#: Value of ``event`` that marks a Violation record (what the metric filter matches).
VIOLATION_MARKER: Final = "Violation"
#: Value of ``event`` of an inspection that only rules set to ``monitor`` flagged while the function
#: blocks: logged with a Violation record's fields, never counted (the metric counts blocked requests,
#: and flagged ones only in monitor mode).
DETECTION_MARKER: Final = "Detection"
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

#: Fields every Violation record carries, in order (batch records: BATCH_VIOLATION_FIELDS).
VIOLATION_FIELDS: Final = (
    FIELD_EVENT,
    FIELD_LEVEL,
    FIELD_TIMESTAMP,
    FIELD_SEAL,
    FIELD_FUNCTION_NAME,
    FIELD_REQUEST_ID,
    FIELD_ACTION,
    FIELD_DIRECTION,
    FIELD_SOURCE,
    FIELD_MODE,
    FIELD_RULE_ID,
    FIELD_CATEGORY,
    FIELD_SEVERITY,
    FIELD_LOCATION,
    FIELD_EXCERPT,
    FIELD_FINDING_COUNT,
    FIELD_TOTAL_SCORE,
    FIELD_FINDINGS,
    FIELD_GUARD_VERSION,
)

#: Fields of the Violation record of one blocked (or flagged) record of a batch source.
BATCH_VIOLATION_FIELDS: Final = (*VIOLATION_FIELDS[:-1], FIELD_RECORD_INDEX, FIELD_ITEM_ID, FIELD_GUARD_VERSION)

# --- log levels (Lambda's application log levels, lowest first) ----------------

#: Lambda's application log levels, from the most to the least detailed.
LOG_LEVELS: Final = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
#: Level of Violation and InspectionLimit records: a blocked attack is worth a warning, and
#: ERROR would trip alarms users keep on their functions' errors. Functions whose JSON log
#: format filters out WARN (application log level ERROR or FATAL) fail synth.
RECORD_LEVEL: Final = "WARN"
#: Level of GuardError records: the guard itself failed.
GUARD_ERROR_LEVEL: Final = "ERROR"


def drops_records(log_format: str | None, application_log_level: str | None) -> bool:
    """Whether Lambda would drop the guard's records under this logging configuration.

    Only the JSON log format filters application logs by level (the Text format
    sends every line); the default application level is INFO.

    Example:
        >>> drops_records("JSON", "ERROR"), drops_records("JSON", "WARN"), drops_records("Text", None)
        (True, False, False)
    """
    if (log_format or "Text").upper() != "JSON":
        return False
    level = (application_log_level or "INFO").upper()
    return level in LOG_LEVELS and LOG_LEVELS.index(level) > LOG_LEVELS.index(RECORD_LEVEL)


# --- the CloudWatch metric ----------------------------------------------------

METRIC_NAMESPACE: Final = "ProtectLambda"
METRIC_NAME: Final = "Violations"
#: The metric's only dimension, and the record field its value comes from.
METRIC_DIMENSION: Final = "FunctionName"
METRIC_DIMENSION_FIELD: Final = FIELD_FUNCTION_NAME
#: JSON filter pattern of any Violation record, sealed or not (for reading logs, not for counting).
VIOLATION_EVENT_PATTERN: Final = '{ $.%s = "%s" }' % (FIELD_EVENT, VIOLATION_MARKER)


def violation_filter_pattern(function_name: str, seal: str) -> str:
    """The metric filter pattern counting the Violation records the guard wrote for one function.

    A record counts only with the function's own name and the deployment's seal, so a
    line that a handler prints (attacker input it logs) moves no metric, and no record
    can put another function's name on the metric. ``function_name`` and ``seal`` may
    be CDK tokens.

    Example:
        >>> violation_filter_pattern("orders", "0f1e")
        '{ ($.event = "Violation") && ($.function_name = "orders") && ($.seal = "0f1e") }'
    """
    return '{ ($.%s = "%s") && ($.%s = "%s") && ($.%s = "%s") }' % (
        FIELD_EVENT, VIOLATION_MARKER, FIELD_FUNCTION_NAME, function_name, FIELD_SEAL, seal,
    )
