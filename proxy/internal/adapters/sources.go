package adapters

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

func records(event *pyjson.Value) []*pyjson.Value {
	recs := event.Get("Records")
	if recs.IsList() && len(recs.Items) > 0 && recs.Items[0].IsMapping() {
		return recs.Items
	}
	return nil
}

// IsCustomResourceRequest is is_custom_resource_request.
func IsCustomResourceRequest(event *pyjson.Value) bool {
	if !event.IsMapping() {
		return false
	}
	kind := event.Get("RequestType")
	known := false
	for _, k := range pyCUSTOM_RESOURCE_REQUESTS {
		if kind.StrIs(k) {
			known = true
		}
	}
	return known && event.Has("ResponseURL") && event.Has("StackId") && event.Has("LogicalResourceId")
}

// KafkaRecords is kafka_records: the records of a Kafka batch, partition after partition.
func KafkaRecords(event *pyjson.Value) []*pyjson.Value {
	var out []*pyjson.Value
	partitions := event.Get("records")
	if partitions.IsMapping() {
		for _, recs := range partitions.Vals {
			if recs.IsList() {
				out = append(out, recs.Items...)
			}
		}
	}
	return out
}

func strIn(v *pyjson.Value, options ...string) bool {
	for _, o := range options {
		if v.StrIs(o) {
			return true
		}
	}
	return false
}

// DetectSource is detect_source: the event source of an event (one of SOURCES).
func DetectSource(event *pyjson.Value) string {
	if !event.IsMapping() {
		return "generic"
	}
	if IsCustomResourceRequest(event) {
		return "cfn-custom-resource"
	}
	if strIn(event.Get("eventSource"), pyKAFKA_EVENT_SOURCES...) && event.Get("records").IsMapping() {
		return "kafka"
	}
	if strIn(event.Get("type"), "TOKEN", "REQUEST") {
		if event.Has("methodArn") {
			return "apigw-authorizer"
		}
		if event.Has("routeArn") {
			return "apigw-http-authorizer"
		}
	}
	if recs := records(event); recs != nil {
		first := recs[0]
		origin := first.Get("eventSource")
		if !origin.Truthy() {
			origin = first.Get("EventSource")
		}
		switch string(pyjson.PyStr(origin)) {
		case "aws:sqs":
			return "sqs"
		case "aws:sns":
			return "sns"
		case "aws:s3":
			return "s3"
		case "aws:dynamodb":
			return "dynamodb"
		case "aws:kinesis":
			return "kinesis"
		}
		return "generic"
	}
	if ctx := event.Get("requestContext"); ctx.IsMapping() {
		if ctx.Has("elb") {
			return "alb"
		}
		if ctx.Has("connectionId") && strIn(ctx.Get("eventType"), "CONNECT", "MESSAGE", "DISCONNECT") {
			return "apigw-websocket"
		}
		if event.Get("version").StrIs("2.0") || ctx.Get("http").IsMapping() {
			domain := []rune("")
			if ctx.Has("domainName") {
				domain = pyjson.PyStr(ctx.Get("domainName"))
			}
			if pystr.Contains(domain, r(".lambda-url.")) {
				return "function-url"
			}
			return "apigw-http"
		}
		if event.Has("httpMethod") || ctx.Has("resourcePath") || ctx.Has("stage") {
			return "apigw-rest"
		}
	}
	if event.Has("detail-type") && event.Has("detail") {
		return "eventbridge"
	}
	if event.Has("httpMethod") && (event.Has("headers") || event.Has("path")) {
		return "apigw-rest"
	}
	return "generic"
}

// headerMap is _header_map: header names lower-cased, values that are not strings as "".
func headerMap(event *pyjson.Value) map[string][]rune {
	out := map[string][]rune{}
	headers := event.Get("headers")
	if headers.IsMapping() {
		for i, k := range headers.Keys {
			v := headers.Vals[i]
			if v.IsStr() {
				out[string(pystr.Lower(k))] = v.Str
			} else {
				out[string(pystr.Lower(k))] = []rune{}
			}
		}
	}
	return out
}

// Python: _walk_headers
func walkHeaders(event *pyjson.Value, b *Budget) {
	// API Gateway's REST events hold every header twice: a value already added under the same
	// name is not added again (a value only one map holds still is)
	seen := map[[2]string]bool{}
	for _, name := range []string{"headers", "multiValueHeaders"} {
		headers := event.Get(name)
		if !headers.IsMapping() {
			continue
		}
		for i, key := range headers.Keys {
			value := headers.Vals[i]
			lname := pystr.Lower(key)
			if pyPLUMBING_HEADERS[string(lname)] || pystr.HasPrefix(lname, r("cloudfront-")) {
				continue
			}
			loc := cat("headers.", lname)
			values := []*pyjson.Value{value}
			if value.IsList() {
				values = value.Items
			}
			for _, v := range values {
				if !v.IsStr() || len(v.Str) == 0 {
					continue
				}
				pair := [2]string{string(lname), string(v.Str)}
				if name == "headers" {
					seen[pair] = true
				} else if seen[pair] {
					continue
				}
				if string(lname) == "cookie" {
					var parts []*pyjson.Value
					for _, c := range split(v.Str, r(";")) {
						parts = append(parts, &pyjson.Value{Kind: pyjson.String, Str: c})
					}
					walkCookies(parts, b)
				} else {
					b.Add(loc, v.Str, NoRecord)
				}
			}
		}
	}
}

// Python: _walk_cookies
func walkCookies(cookies []*pyjson.Value, b *Budget) {
	for _, cookie := range cookies {
		if !cookie.IsStr() {
			continue
		}
		text := pystr.Strip(cookie.Str)
		name, value := text, []rune{}
		if at := pystr.Find(text, r("="), 0); at >= 0 {
			name, value = text[:at], text[at+1:]
		}
		if !pystr.AllAlnum(name) && len(name) > 0 {
			b.Add(cat("cookies.", name, "#key"), name, NoRecord)
		}
		if len(value) > 0 {
			b.Add(cat("cookies.", name), value, NoRecord)
		}
	}
}

// Python: _walk_params
func walkParams(event *pyjson.Value, single, multi string, b *Budget) bool {
	chosen := event.Get(single)
	if event.Get(multi).IsMapping() {
		chosen = event.Get(multi)
	}
	if !chosen.IsMapping() || len(chosen.Keys) == 0 {
		return false
	}
	for i, key := range chosen.Keys {
		value := chosen.Vals[i]
		loc := cat(single, ".", key)
		if !pystr.AllAlnum(key) {
			b.Add(cat(loc, "#key"), key, NoRecord)
		}
		values := []*pyjson.Value{value}
		if value.IsList() {
			values = value.Items
		}
		for _, v := range values {
			if v.IsStr() && len(v.Str) > 0 {
				b.Add(loc, v.Str, NoRecord)
			}
		}
	}
	return true
}

// Python: _collect_http
func collectHTTP(event *pyjson.Value, b *Budget, v2 bool) {
	names := []string{"path"}
	if v2 {
		names = []string{"rawPath", "path"}
	}
	for _, name := range names {
		path := event.Get(name)
		if path.IsStr() && string(path.Str) != "" && string(path.Str) != "/" {
			b.Add(r(name), path.Str, NoRecord)
			break
		}
	}
	hasParams := walkParams(event, "queryStringParameters", "multiValueQueryStringParameters", b)
	if raw := event.Get("rawQueryString"); !hasParams && raw.IsStr() && len(raw.Str) > 0 {
		walkBodyText(raw.Str, r("rawQueryString"), b, NoRecord, false, r("x-www-form-urlencoded"))
	}
	if params := event.Get("pathParameters"); params.IsMapping() {
		Walk(params, r("pathParameters"), b, NoRecord, 1, WalkOptions{})
	}
	walkHeaders(event, b)
	if cookies := event.Get("cookies"); cookies.IsList() {
		walkCookies(cookies.Items, b)
	}
	ctype, ok := headerMap(event)["content-type"]
	if !ok {
		ctype = []rune{}
	}
	WalkBody(event.Get("body"), r("body"), b, NoRecord, event.Get("isBase64Encoded").Truthy(), ctype)
}

func orValue(a, b *pyjson.Value) *pyjson.Value {
	if a.Truthy() {
		return a
	}
	return b
}

type recordAdapter func(record *pyjson.Value, loc []rune, b *Budget, i int)

func sqs(record *pyjson.Value, loc []rune, b *Budget, i int) {
	Walk(record.Get("body"), cat(loc, ".body"), b, i, 1, WalkOptions{})
	if attrs := record.Get("messageAttributes"); attrs.IsMapping() {
		for k, name := range attrs.Keys {
			if attr := attrs.Vals[k]; attr.IsMapping() {
				Walk(orValue(attr.Get("stringValue"), attr.Get("StringValue")), cat(loc, ".messageAttributes.", name), b, i, 1, WalkOptions{})
			}
		}
	}
}

func sns(record *pyjson.Value, loc []rune, b *Budget, i int) {
	s := record.Get("Sns")
	if !s.IsMapping() {
		return
	}
	Walk(s.Get("Subject"), cat(loc, ".Sns.Subject"), b, i, 1, WalkOptions{})
	Walk(s.Get("Message"), cat(loc, ".Sns.Message"), b, i, 1, WalkOptions{})
	if attrs := s.Get("MessageAttributes"); attrs.IsMapping() {
		for k, name := range attrs.Keys {
			if attr := attrs.Vals[k]; attr.IsMapping() {
				Walk(attr.Get("Value"), cat(loc, ".Sns.MessageAttributes.", name), b, i, 1, WalkOptions{})
			}
		}
	}
}

func s3(record *pyjson.Value, loc []rune, b *Budget, i int) {
	if s := record.Get("s3"); s.IsMapping() {
		if obj := s.Get("object"); obj.IsMapping() {
			Walk(obj.Get("key"), cat(loc, ".s3.object.key"), b, i, 1, WalkOptions{})
		}
	}
}

func dynamodb(record *pyjson.Value, loc []rune, b *Budget, i int) {
	if d := record.Get("dynamodb"); d.IsMapping() {
		for _, name := range []string{"Keys", "NewImage", "OldImage"} {
			Walk(d.Get(name), cat(loc, ".dynamodb.", name), b, i, 1, WalkOptions{})
		}
	}
}

func kinesis(record *pyjson.Value, loc []rune, b *Budget, i int) {
	if k := record.Get("kinesis"); k.IsMapping() {
		if data := k.Get("data"); data.IsStr() {
			Walk(&pyjson.Value{Kind: pyjson.String, Str: b64(data.Str)}, cat(loc, ".kinesis.data"), b, i, 1, WalkOptions{})
		}
		Walk(k.Get("partitionKey"), cat(loc, ".kinesis.partitionKey"), b, i, 1, WalkOptions{})
	}
}

var recordAdapters = map[string]recordAdapter{"sqs": sqs, "sns": sns, "s3": s3, "dynamodb": dynamodb, "kinesis": kinesis}

// Python: _collect_records
func collectRecords(event *pyjson.Value, b *Budget, one recordAdapter) {
	for i, record := range event.Get("Records").Items {
		loc := cat("Records[", i, "]")
		if record.IsMapping() {
			one(record, loc, b, i)
		} else {
			Walk(record, loc, b, i, 1, WalkOptions{})
		}
	}
}

// bytesText is _bytes_text: a Kafka header value (a list of byte values) as text.
func bytesText(value *pyjson.Value) ([]rune, bool) {
	if value.IsList() {
		raw := make([]byte, 0, len(value.Items))
		for _, item := range value.Items {
			var n int
			switch {
			case item.Kind == pyjson.Bool:
				if item.Bool {
					n = 1
				}
			case item.Kind == pyjson.Int && len(item.Num) <= 3 && item.Num[0] != '-':
				for _, d := range item.Num {
					n = n*10 + int(d-'0')
				}
				if n > 255 {
					return nil, false
				}
			default:
				return nil, false
			}
			raw = append(raw, byte(n))
		}
		return DecodeReplace(raw), true
	}
	if value.IsStr() {
		return value.Str, true
	}
	return nil, false
}

// Python: _collect_kafka
func collectKafka(event *pyjson.Value, b *Budget) {
	for i, record := range KafkaRecords(event) {
		loc := cat("records[", i, "]")
		if !record.IsMapping() {
			Walk(record, loc, b, i, 1, WalkOptions{})
			continue
		}
		for _, name := range []string{"key", "value"} {
			if data := record.Get(name); data.IsStr() && len(data.Str) > 0 {
				Walk(&pyjson.Value{Kind: pyjson.String, Str: b64(data.Str)}, cat(loc, ".", name), b, i, 1, WalkOptions{})
			}
		}
		if headers := record.Get("headers"); headers.IsList() {
			for _, header := range headers.Items {
				if !header.IsMapping() {
					continue
				}
				for k, key := range header.Keys {
					if text, ok := bytesText(header.Vals[k]); ok && len(text) > 0 {
						Walk(&pyjson.Value{Kind: pyjson.String, Str: text}, cat(loc, ".headers.", key), b, i, 1, WalkOptions{})
					}
				}
			}
		}
	}
}

// Python: _collect_authorizer
func collectAuthorizer(event *pyjson.Value, b *Budget, v2 bool) {
	if token := event.Get("authorizationToken"); token.IsStr() && len(token.Str) > 0 {
		b.Add(r("authorizationToken"), token.Str, NoRecord)
		return
	}
	collectHTTP(event, b, v2)
}

// Python: _collect_custom_resource
func collectCustomResource(event *pyjson.Value, b *Budget) {
	for _, name := range []string{"ResourceProperties", "OldResourceProperties"} {
		props := event.Get(name)
		if !props.IsMapping() {
			continue
		}
		kept := &pyjson.Value{Kind: pyjson.Object}
		for i, k := range props.Keys {
			if string(k) != "ServiceToken" {
				kept.Keys = append(kept.Keys, k)
				kept.Vals = append(kept.Vals, props.Vals[i])
			}
		}
		Walk(kept, r(name), b, NoRecord, 1, WalkOptions{})
	}
}

// CollectEvent is collect_event_budget: the source of an event and the strings to scan.
func CollectEvent(event *pyjson.Value, limits Limits) (string, *Budget) {
	b := NewBudget(limits)
	source := DetectSource(event)
	switch source {
	case "apigw-http", "function-url":
		collectHTTP(event, b, true)
	case "apigw-rest", "alb", "apigw-websocket":
		collectHTTP(event, b, false)
	case "kafka":
		collectKafka(event, b)
	case "apigw-authorizer", "apigw-http-authorizer":
		collectAuthorizer(event, b, source == "apigw-http-authorizer")
	case "cfn-custom-resource":
		collectCustomResource(event, b)
	case "sqs", "sns", "s3", "dynamodb", "kinesis":
		collectRecords(event, b, recordAdapters[source])
	case "eventbridge":
		Walk(event.Get("detail"), r("detail"), b, NoRecord, 1, WalkOptions{})
	default:
		Walk(event, []rune{}, b, NoRecord, 0, WalkOptions{SkipKeys: pyPLUMBING_KEYS})
	}
	return source, b
}

// CollectResponse is collect_response: the strings of a handler's return value.
func CollectResponse(response *pyjson.Value, limits Limits) *Budget {
	b := NewBudget(limits)
	numbers := WalkOptions{Numbers: true}
	if response.IsMapping() && response.Has("statusCode") {
		body := response.Get("body")
		if body.IsStr() && response.Get("isBase64Encoded").Truthy() {
			body = &pyjson.Value{Kind: pyjson.String, Str: b64(body.Str)}
		}
		if body.IsStr() {
			if s := pystr.LStrip(body.Str); len(s) > 0 && (s[0] == '{' || s[0] == '[') {
				if parsed := tryJSON(s); parsed != nil {
					body = parsed
				}
			}
		}
		Walk(body, r("body"), b, NoRecord, 1, numbers)
		for _, name := range []string{"headers", "multiValueHeaders", "cookies"} {
			Walk(response.Get(name), r(name), b, NoRecord, 1, numbers)
		}
	} else {
		Walk(response, []rune{}, b, NoRecord, 0, numbers)
	}
	return b
}
