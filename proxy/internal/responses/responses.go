// Package responses ports lambda_layer/protect_lambda/responses.py (block responses in the shape
// each event source expects: HTTP 403/500, authorizer denials, batch item failures, the records
// held back behind a blocked one) and the decisions of blocking.py (what a blocked inspection
// answers or raises). Values are Python values decoded from JSON (*pyjson.Value); a Python
// exception is returned as a Go error (a *Refusal for GuardBlockedError/GuardFailedClosedError, a
// *TypeError where Python would crash on an unhashable value).
//
// Example:
//
//	r := responses.Forbidden("apigw-http", event, []rune("req-1"))
//	pyjson.Dumps(r) // {"statusCode": 403, "headers": {"content-type": "application/json"}, ...}
package responses

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// --- building Python values -------------------------------------------------------------------

// Str is a Python str.
func Str(s []rune) *pyjson.Value {
	return &pyjson.Value{Kind: pyjson.String, Str: append([]rune(nil), s...)}
}

func str(s string) *pyjson.Value { return Str([]rune(s)) }

func integer(n int) *pyjson.Value { return &pyjson.Value{Kind: pyjson.Int, Num: strconv.Itoa(n)} }

func boolean(b bool) *pyjson.Value { return &pyjson.Value{Kind: pyjson.Bool, Bool: b} }

// List is a Python list of items.
func List(items []*pyjson.Value) *pyjson.Value {
	return &pyjson.Value{Kind: pyjson.Array, Items: append(make([]*pyjson.Value, 0, len(items)), items...)}
}

// dict builds a dict from key, value pairs in order.
func dict(pairs ...any) *pyjson.Value {
	d := &pyjson.Value{Kind: pyjson.Object}
	for i := 0; i < len(pairs); i += 2 {
		setItem(d, []rune(pairs[i].(string)), pairs[i+1].(*pyjson.Value))
	}
	return d
}

// Python: dict.__setitem__
//
// setItem is d[key] = value: an existing key keeps its place.
func setItem(d *pyjson.Value, key []rune, value *pyjson.Value) {
	for i, k := range d.Keys {
		if pystr.Equal(k, key) {
			d.Vals[i] = value
			return
		}
	}
	d.Keys = append(d.Keys, append([]rune(nil), key...))
	d.Vals = append(d.Vals, value)
}

// Python: dict(mapping)
//
// copyDict is dict(mapping): a shallow copy.
func copyDict(d *pyjson.Value) *pyjson.Value {
	c := &pyjson.Value{Kind: pyjson.Object}
	if d.IsMapping() {
		c.Keys = append(c.Keys, d.Keys...)
		c.Vals = append(c.Vals, d.Vals...)
	}
	return c
}

func isInt(v *pyjson.Value) bool { return v != nil && v.Kind == pyjson.Int } // int, not bool

// --- hashing: Python's set and dict keys ----------------------------------------------------------

// TypeError is the TypeError Python raises when it hashes an unhashable value (a list, a dict).
type TypeError struct{ Msg string }

func (e *TypeError) Error() string { return "TypeError: " + e.Msg }

// Key is a hashable Python value as a comparable Go string: two values give the same Key exactly
// when Python finds them equal as set members (1 == 1.0 == True, and every NaN json.loads makes is
// one object). The zero Key is Python's None.
type Key string

func numberKey(v *pyjson.Value) Key {
	switch v.Kind {
	case pyjson.Bool:
		if v.Bool {
			return "n1"
		}
		return "n0"
	case pyjson.Int:
		n, ok := new(big.Int).SetString(v.Num, 10)
		if !ok {
			return Key("n" + v.Num)
		}
		return Key("n" + n.String())
	}
	f := v.Float()
	switch {
	case math.IsNaN(f):
		return "fnan" // json.loads returns its one NaN object: `x is y` makes them equal
	case math.IsInf(f, 1):
		return "finf"
	case math.IsInf(f, -1):
		return "f-inf"
	case f == math.Trunc(f): // integral: equal to the int of the same value
		n, _ := big.NewFloat(f).Int(nil)
		return Key("n" + n.String())
	}
	return Key("f" + strconv.FormatFloat(f, 'g', -1, 64))
}

// Python: hash() of a set member or dict key (TypeError: unhashable type)
//
// hashKey is the Key of a hashable value, a *TypeError for a list or dict.
func hashKey(v *pyjson.Value) (Key, error) {
	if v == nil {
		return "N", nil
	}
	switch v.Kind {
	case pyjson.Null:
		return "N", nil
	case pyjson.Bool, pyjson.Int, pyjson.Float:
		return numberKey(v), nil
	case pyjson.String:
		return Key("s" + pystr.Key(v.Str)), nil
	case pyjson.Array:
		return "", &TypeError{"unhashable type: 'list'"}
	}
	return "", &TypeError{"unhashable type: 'dict'"}
}

// Python: identifier_key
//
// IdentifierKey is the hashable key of an identifier: a string itself, a Kafka identifier's
// (partition, offset), None for anything else; a *TypeError when the key could not be hashed.
func IdentifierKey(identifier *pyjson.Value) (Key, error) {
	if identifier.IsMapping() {
		p, err := hashKey(identifier.Get("partition"))
		if err != nil {
			return "", err
		}
		o, err := hashKey(identifier.Get("offset"))
		if err != nil {
			return "", err
		}
		return Key(fmt.Sprintf("t%d:%s%s", len(p), p, o)), nil
	}
	if identifier.IsStr() {
		return hashKey(identifier)
	}
	return "N", nil
}

// --- sources ------------------------------------------------------------------------------------

// Python: is_http
func IsHTTP(source string) bool { return pyHTTP_SOURCES[source] }

// Python: is_authorizer
func IsAuthorizer(source string) bool { return pyAUTHORIZER_SOURCES[source] }

// Python: is_batch
func IsBatch(source string) bool { return pyBATCH_SOURCES[source] }

// Python: authorizer_denial
//
// AuthorizerDenial is the answer of a Lambda authorizer that refuses the request; style is one of
// contract.PyAUTHORIZER_RESPONSES.
func AuthorizerDenial(source string, event *pyjson.Value, style string) *pyjson.Value {
	key := "methodArn"
	if source == "apigw-http-authorizer" {
		key = "routeArn"
	}
	var resource *pyjson.Value
	if event.IsMapping() {
		resource = event.Get(key)
	}
	res := str("*")
	if resource.IsStr() && len(resource.Str) > 0 {
		res = Str(resource.Str)
	}
	statement := dict("Action", str("execute-api:Invoke"), "Effect", str("Deny"), "Resource", res)
	document := dict("Version", str("2012-10-17"), "Statement", List([]*pyjson.Value{statement}))
	if source != "apigw-http-authorizer" || style == contract.PyAUTHORIZER_IAM {
		return dict("principalId", str(pyDENIED_PRINCIPAL), "policyDocument", document)
	}
	if style == contract.PyAUTHORIZER_SIMPLE {
		return dict("isAuthorized", boolean(false))
	}
	return dict("isAuthorized", boolean(false), "principalId", str(pyDENIED_PRINCIPAL), "policyDocument", document)
}

// Python: http_response
//
// HTTPResponse is an HTTP error response for source, in the shape that source expects.
func HTTPResponse(source string, event *pyjson.Value, status int, requestID []rune) *pyjson.Value {
	reason := []rune("Error")
	if r, ok := py_REASONS[rune(status)]; ok {
		reason = r
	}
	// json.dumps({"message": reason, "requestId": request_id}, separators=(",", ":"))
	body := `{"message":` + pyjson.QuoteASCII(reason) + `,"requestId":` + pyjson.QuoteASCII(requestID) + `}`
	response := dict("statusCode", integer(status))
	switch source {
	case "alb":
		setItem(response, []rune("statusDescription"), Str(append([]rune(strconv.Itoa(status)+" "), reason...)))
		if event.IsMapping() && event.Get("multiValueHeaders").IsMapping() {
			setItem(response, []rune("multiValueHeaders"), dict("Content-Type", List([]*pyjson.Value{str("application/json")})))
		} else {
			setItem(response, []rune("headers"), dict("Content-Type", str("application/json")))
		}
	case "apigw-rest":
		setItem(response, []rune("headers"), dict("Content-Type", str("application/json")))
	default: // apigw-http, function-url: payload format 2.0 (lower-case header names)
		setItem(response, []rune("headers"), dict("content-type", str("application/json")))
	}
	setItem(response, []rune("body"), str(body))
	setItem(response, []rune("isBase64Encoded"), boolean(false))
	return response
}

// Python: forbidden
func Forbidden(source string, event *pyjson.Value, requestID []rune) *pyjson.Value {
	return HTTPResponse(source, event, 403, requestID)
}

// Python: withheld
func Withheld(source string, event *pyjson.Value, requestID []rune) *pyjson.Value {
	return HTTPResponse(source, event, 500, requestID)
}

// Python: records_of
//
// RecordsOf is the records of a batch event (Records; a Kafka batch's records, flattened); ok is
// false for Python's None.
func RecordsOf(event *pyjson.Value, source string) (records []*pyjson.Value, ok bool) {
	if event.IsMapping() {
		if source == "kafka" {
			if event.Get("records").IsMapping() {
				return adapters.KafkaRecords(event), true
			}
			return nil, false
		}
		if recs := event.Get("Records"); recs.IsList() {
			return recs.Items, true
		}
	}
	return nil, false
}

// Python: without_records
//
// WithoutRecords is a copy of the batch event without the records at the indexes held.
func WithoutRecords(event *pyjson.Value, source string, held map[int]bool) *pyjson.Value {
	clean := copyDict(event)
	if source != "kafka" {
		var kept []*pyjson.Value
		if recs := event.Get("Records"); recs.IsList() {
			for i, r := range recs.Items {
				if !held[i] {
					kept = append(kept, r)
				}
			}
		}
		setItem(clean, []rune("Records"), List(kept))
		return clean
	}
	partitions := &pyjson.Value{Kind: pyjson.Object}
	index := 0
	if sp := event.Get("records"); sp.IsMapping() {
		for n, key := range sp.Keys {
			recs := sp.Vals[n]
			if !recs.IsList() {
				continue
			}
			var kept []*pyjson.Value
			for i, r := range recs.Items {
				if !held[index+i] {
					kept = append(kept, r)
				}
			}
			index += len(recs.Items)
			if len(kept) > 0 {
				setItem(partitions, key, List(kept))
			}
		}
	}
	setItem(clean, []rune("records"), partitions)
	return clean
}

// Python: _kafka_partition
//
// kafkaPartition is _kafka_partition: "<topic>-<partition>", or "" (record must be a mapping).
func kafkaPartition(record *pyjson.Value) []rune {
	topic, partition := record.Get("topic"), record.Get("partition")
	if topic.IsStr() && isInt(partition) {
		return append(append(append([]rune(nil), topic.Str...), '-'), []rune(partition.Num)...)
	}
	return []rune{}
}

// Python: item_label
//
// ItemLabel is the identifier of a batch record as one string, for the record's item_id.
func ItemLabel(source string, record *pyjson.Value) []rune {
	identifier := ItemIdentifier(source, record)
	if identifier.IsMapping() {
		p := identifier.Get("partition")
		o := identifier.Get("offset")
		return append(append(append([]rune(nil), pyjson.PyStr(p)...), '@'), pyjson.PyStr(o)...)
	}
	return identifier.Str
}

// Python: item_identifier
//
// ItemIdentifier is the itemIdentifier of a batch record: a string ("" when it has none) or a Kafka
// record's {"partition": ..., "offset": ...}.
func ItemIdentifier(source string, record *pyjson.Value) *pyjson.Value {
	if !record.IsMapping() {
		return str("")
	}
	if source == "kafka" {
		partition, offset := kafkaPartition(record), record.Get("offset")
		if len(partition) > 0 && isInt(offset) {
			return dict("partition", Str(partition), "offset", &pyjson.Value{Kind: pyjson.Int, Num: offset.Num})
		}
		return str("")
	}
	var value *pyjson.Value
	switch source {
	case "sqs":
		value = record.Get("messageId")
	case "kinesis":
		if inner := record.Get("kinesis"); inner.IsMapping() {
			value = inner.Get("sequenceNumber")
		}
	case "dynamodb":
		if inner := record.Get("dynamodb"); inner.IsMapping() {
			value = inner.Get("SequenceNumber")
		}
	}
	if value.IsStr() {
		return Str(value.Str)
	}
	return str("")
}

// Python: _is_fifo
func isFIFO(record *pyjson.Value) bool {
	if !record.IsMapping() {
		return false
	}
	arn := record.Get("eventSourceARN")
	return arn.IsStr() && pystr.HasSuffix(arn.Str, []rune(".fifo"))
}

// groupKey is what Python's _group returns: the id when it is a string, else ("json", its JSON text).
func groupKey(v *pyjson.Value) Key {
	if v.IsStr() {
		return Key("s" + pystr.Key(v.Str))
	}
	return Key("j" + pyjson.Dumps(v)) // a tuple in Python: never equal to a string key
}

// Python: _group (the value; groupKey is the key it gives)
func group(record *pyjson.Value) *pyjson.Value {
	if record.IsMapping() {
		if attributes := record.Get("attributes"); attributes.IsMapping() {
			return attributes.Get("MessageGroupId")
		}
	}
	return nil
}

func partitionOf(record *pyjson.Value) string {
	if record.IsMapping() {
		return pystr.Key(kafkaPartition(record))
	}
	return ""
}

// Python: first_of_an_ordered_run
//
// FirstOfAnOrderedRun is true when one of indexes is the first record of an ordered run (a stream
// batch, a Kafka partition).
func FirstOfAnOrderedRun(source string, records []*pyjson.Value, indexes map[int]bool) bool {
	if pySTREAM_SOURCES[source] {
		return indexes[0]
	}
	if pyPARTITIONED_SOURCES[source] {
		seen := map[string]bool{}
		for index, record := range records {
			partition := partitionOf(record)
			if !seen[partition] {
				seen[partition] = true
				if indexes[index] {
					return true
				}
			}
		}
	}
	return false
}

// Python: responses.held_back
//
// HeldBack is the indexes of the records not handed to the handler: the blocked ones, and the
// records that must wait for them to keep their order. A *TypeError where Python raises one (an
// SQS FIFO record whose MessageGroupId is a list or a dict).
func HeldBack(source string, records []*pyjson.Value, blocked map[int]bool) (map[int]bool, error) {
	result := map[int]bool{}
	for index := range blocked {
		if index >= 0 && index < len(records) {
			result[index] = true
		}
	}
	if len(result) == 0 {
		return result, nil
	}
	if pySTREAM_SOURCES[source] {
		first := len(records)
		for index := range result {
			first = min(first, index)
		}
		all := map[int]bool{}
		for i := first; i < len(records); i++ {
			all[i] = true
		}
		return all, nil
	}
	if pyPARTITIONED_SOURCES[source] {
		stopped := map[string]bool{}
		for index, record := range records {
			partition := partitionOf(record)
			if result[index] {
				stopped[partition] = true
			} else if stopped[partition] {
				result[index] = true
			}
		}
		return result, nil
	}
	if source != "sqs" {
		return result, nil
	}
	stopped := map[Key]bool{}
	for index, record := range records {
		if !isFIFO(record) {
			continue
		}
		g := groupKey(group(record))
		if result[index] {
			stopped[g] = true
		} else if stopped[g] {
			result[index] = true
		}
	}
	return result, nil
}

// Python: sorted (of a set of indexes)
//
// Sorted is sorted(indexes).
func Sorted(indexes map[int]bool) []int {
	out := make([]int, 0, len(indexes))
	for i := range indexes {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// Python: batch_failures (indexes None)
//
// BatchFailuresAll is the batchItemFailures entries of every record; an empty batch gets one
// entry with an empty identifier (Lambda then fails it whole).
func BatchFailuresAll(source string, records []*pyjson.Value) []*pyjson.Value {
	chosen := make([]int, len(records))
	for i := range chosen {
		chosen[i] = i
	}
	failures := batchFailures(source, records, chosen)
	if len(failures) == 0 {
		failures = append(failures, dict("itemIdentifier", str("")))
	}
	return failures
}

// Python: batch_failures
//
// BatchFailures is the batchItemFailures entries for the records at indexes (each must be a
// valid index of records, as Python indexes them: a negative one counts from the end).
func BatchFailures(source string, records []*pyjson.Value, indexes map[int]bool) []*pyjson.Value {
	return batchFailures(source, records, Sorted(indexes))
}

func batchFailures(source string, records []*pyjson.Value, chosen []int) []*pyjson.Value {
	failures := []*pyjson.Value{}
	seen := map[Key]bool{}
	for _, index := range chosen {
		if index < 0 {
			index += len(records)
		}
		identifier := ItemIdentifier(source, records[index])
		key, _ := IdentifierKey(identifier) // a str or (str, int): always hashable
		if !seen[key] {
			seen[key] = true
			failures = append(failures, dict("itemIdentifier", identifier))
		}
	}
	return failures
}

// Python: batch_response
func BatchResponse(failures []*pyjson.Value) *pyjson.Value {
	return dict("batchItemFailures", List(failures))
}

// Python: merge_batch_failures
//
// MergeBatchFailures is the handler's result with the guard's failures added to its
// batchItemFailures (result itself when there are none). An identifier that cannot be hashed (a
// list or a dict as a Kafka identifier's partition or offset) names no record: it never counts
// as the same as another (Python: _hashable_key).
func MergeBatchFailures(result *pyjson.Value, failures []*pyjson.Value) *pyjson.Value {
	if len(failures) == 0 {
		return result
	}
	merged := &pyjson.Value{Kind: pyjson.Object}
	if result.IsMapping() {
		merged = copyDict(result)
	}
	var entries []*pyjson.Value
	if own := merged.Get("batchItemFailures"); own.IsList() {
		entries = append(entries, own.Items...)
	}
	present := map[Key]bool{}
	for _, entry := range entries {
		if entry.IsMapping() {
			if key, err := IdentifierKey(entry.Get("itemIdentifier")); err == nil {
				present[key] = true
			}
		}
	}
	for _, entry := range failures {
		key, err := IdentifierKey(entry.Get("itemIdentifier"))
		if err != nil || !present[key] {
			entries = append(entries, entry)
		}
	}
	setItem(merged, []rune("batchItemFailures"), List(entries))
	return merged
}

// Python: fallback_source
//
// FallbackSource is a coarse source of event, used only when the guard failed before naming it.
func FallbackSource(event *pyjson.Value) string {
	if !event.IsMapping() {
		return "generic"
	}
	if es := event.Get("eventSource"); es.StrIs("aws:kafka") || es.StrIs("SelfManagedKafka") {
		return "kafka"
	}
	if t := event.Get("type"); t.StrIs("TOKEN") || t.StrIs("REQUEST") {
		if event.Has("methodArn") {
			return "apigw-authorizer"
		}
		if event.Has("routeArn") {
			return "apigw-http-authorizer"
		}
	}
	if event.Has("RequestType") && event.Has("ResponseURL") {
		return "cfn-custom-resource"
	}
	if records, ok := RecordsOf(event, ""); ok && len(records) > 0 {
		if first := records[0]; first.IsMapping() {
			kind := first.Get("eventSource")
			if !kind.Truthy() {
				kind = first.Get("EventSource")
			}
			named := map[string]string{"aws:sqs": "sqs", "aws:kinesis": "kinesis", "aws:dynamodb": "dynamodb",
				"aws:sns": "sns", "aws:s3": "s3"}
			if kind.IsStr() {
				if name, ok := named[string(kind.Str)]; ok && !hasSurrogate(kind.Str) {
					return name
				}
			}
		}
	}
	if context := event.Get("requestContext"); context.IsMapping() {
		if context.Has("elb") {
			return "alb"
		}
		if context.Has("connectionId") {
			return "apigw-websocket"
		}
		if event.Get("version").StrIs("2.0") {
			if domain := context.Get("domainName"); domain.IsStr() && pystr.Contains(domain.Str, []rune(".lambda-url.")) {
				return "function-url"
			}
			return "apigw-http"
		}
		if event.Has("httpMethod") {
			return "apigw-rest"
		}
	}
	if event.Has("detail-type") && event.Has("detail") {
		return "eventbridge"
	}
	return "generic"
}

func hasSurrogate(s []rune) bool {
	for _, c := range s {
		if c >= 0xD800 && c <= 0xDFFF {
			return true
		}
	}
	return false
}
