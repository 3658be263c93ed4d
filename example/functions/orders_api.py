"""Example HTTP handler (API Gateway HTTP API, payload 2.0): looks up an order.

It has deliberate bugs for the demo: ``?debug=1`` returns an exception dump, and
``?export=card`` returns a stored card number (the guard withholds both responses);
and it logs what it is sent, as many handlers do, so an attacker chooses lines of its
log (the guard's records are sealed: a forged one is not counted).
"""

import json
import traceback

_ORDERS = {"1001": {"id": "1001", "item": "blue mug", "quantity": 2}}
# A well-known test card number (Luhn-valid, never issued to anyone).
_TEST_CARD = "4111 1111 1111 1111"


def handler(event, context):
    if event.get("body"):
        print(event["body"])  # an audit trail of what was posted: attacker-controlled text in the log
    params = event.get("queryStringParameters") or {}
    order_id = params.get("id", "1001")
    if params.get("debug") == "1":
        try:
            raise KeyError(order_id)
        except KeyError:
            return {"statusCode": 500, "body": traceback.format_exc()}
    if params.get("export") == "card":
        return {"statusCode": 200, "body": json.dumps({"id": order_id, "card": _TEST_CARD})}
    order = _ORDERS.get(order_id)
    if order is None:
        return {"statusCode": 404, "body": json.dumps({"message": "order not found"})}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(order)}
