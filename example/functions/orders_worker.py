"""Example SQS worker: processes order messages, reporting failed items."""

import json


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        try:
            message = json.loads(record["body"])
            print(json.dumps({"processed": message.get("order_id")}))
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
