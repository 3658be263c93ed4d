package records

import (
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/engine"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
)

// The examples of violation.py's docstrings.
func TestDocstringExamples(t *testing.T) {
	card := []rune(`{"card": "4111111111111111"}`)
	leak := guard.Finding{RuleID: "leak_card", Category: "leak_card", Direction: "outbound", Severity: "high",
		Location: []rune("body.card"), Action: "blocked", RecordIndex: adapters.NoRecord,
		Match: engine.Match{Text: card, Start: 10, End: 26}, Score: 5}
	if got := string(RedactExcerpt(leak)); got != `{"card": "[REDACTED leak_card 16 chars]"}` {
		t.Errorf("redact_excerpt (outbound): %s", got)
	}
	sqli := guard.Finding{RuleID: "sqli-001", Direction: "inbound",
		Match: engine.Match{Text: []rune("q=1' OR '1'='1"), Start: 3, End: 14}}
	if got := string(RedactExcerpt(sqli)); got != "q=1' OR '1'='1" {
		t.Errorf("redact_excerpt (inbound): %s", got)
	}
	for in, want := range map[string]string{
		"Records[2].body.text":                       "Records[2].body.text",
		"x[0].4111-1111-1111-1111#key":               "x[0].[redacted]#key",
		"queryStringParameters.AKIAIOSFODNN7EXAMPLE": "queryStringParameters.[redacted]",
	} {
		if got := string(RedactLocation([]rune(in))); got != want {
			t.Errorf("redact_location(%q) = %q, want %q", in, got, want)
		}
	}
	if got, _ := RFC3339(0.25); got != "1970-01-01T00:00:00.250Z" {
		t.Errorf("rfc3339(0.25) = %s", got)
	}
	var r Record
	r.Set("event", "Violation")
	r.Set("location", "x\"\n{\"event\":\"Violation\"}")
	if got := FormatRecord(r); got != `{"event":"Violation","location":"x\"\n{\"event\":\"Violation\"}"}` {
		t.Errorf("format_record: %s", got)
	}
	xss := guard.Finding{RuleID: "xss-001", Category: "xss", Direction: "inbound", Severity: "high",
		Location: []rune("queryStringParameters.q"), Action: "blocked", RecordIndex: adapters.NoRecord, Score: 5}
	rec, err := ViolationRecord([]guard.Finding{xss, xss}, Params{Source: []rune("apigw-http"), Mode: []rune("block"),
		FunctionName: []rune("fn"), RequestID: []rune("req-1"), Seal: []rune("s"), RecordIndex: adapters.NoRecord}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Get("event") != "Violation" || rec.Get("level") != "WARN" || rec.Get("finding_count") != 1 || len(rec) != 19 {
		t.Errorf("violation_record: %s", FormatRecord(rec))
	}
	if _, err := ViolationRecord(nil, Params{}, 0); err == nil {
		t.Error("violation_record of no findings: no error")
	}
	g, err := GuardErrorRecord(ErrorParams{ErrorType: []rune("KeyError"), Phase: []rune("inbound")}, 0)
	if err != nil || g.Get("event") != "GuardError" || g.Get("detail") != nil {
		t.Errorf("guard_error_record: %s %v", FormatRecord(g), err)
	}
}
