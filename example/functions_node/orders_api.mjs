// Example HTTP handler on Node.js (API Gateway HTTP API, payload 2.0): the orders lookup of
// ../functions/orders_api.py, guarded by the proxy extension instead of the Python wrapper.
//
// Same deliberate bugs for the demo: ?debug=1 returns an exception dump and ?export=card a
// stored card number (the guard withholds both responses); it logs what it is sent.

const ORDERS = { "1001": { id: "1001", item: "blue mug", quantity: 2 } };
// A well-known test card number (Luhn-valid, never issued to anyone).
const TEST_CARD = "4111 1111 1111 1111";

export const handler = async (event) => {
  if (event.body) {
    // an audit trail of what was posted, written raw (console.log would prefix it with a timestamp,
    // the request id and the level): a whole log line the attacker chooses
    process.stdout.write(event.body + "\n");
  }
  const params = event.queryStringParameters ?? {};
  const orderId = params.id ?? "1001";
  if (params.debug === "1") {
    return { statusCode: 500, body: new Error(`KeyError: ${orderId}`).stack };
  }
  if (params.export === "card") {
    return { statusCode: 200, body: JSON.stringify({ id: orderId, card: TEST_CARD }) };
  }
  const order = ORDERS[orderId];
  if (order === undefined) {
    return { statusCode: 404, body: JSON.stringify({ message: "order not found" }) };
  }
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(order) };
};
