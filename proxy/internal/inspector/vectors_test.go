package inspector

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
	"github.com/protect-lambda/protect-lambda/proxy/runtimeproxy"
)

type outcome struct {
	Kind         string   `json:"kind"`
	Value        string   `json:"value"`
	Type         string   `json:"type"`
	Message      string   `json:"message"`
	HandlerEvent *string  `json:"handler_event"`
	Records      []string `json:"records"`
}

// canonical is json.dumps of the JSON text's value (how the vectors carry values).
func canonical(text []byte) string {
	v, err := pyjson.Parse(text)
	if err != nil {
		return "<not JSON: " + string(text) + ">"
	}
	return pyjson.Dumps(v)
}

// run is one invocation through the Inspector as the proxy drives it: the event, then (unless it
// was answered) the handler's result as the runtime posts it.
func run(in *Inspector, requestID, event, result string) outcome {
	var out outcome
	w := &strings.Builder{}
	in.reporter.out = w
	inv := &runtimeproxy.Invocation{RequestID: requestID, Event: []byte(event)}
	v := in.Event(inv)
	if !v.Block {
		got := event
		if v.Event != nil {
			got = string(v.Event)
		}
		got = canonical([]byte(got))
		out.HandlerEvent = &got
		v = in.Response(inv, []byte(result))
		if !v.Block {
			v.Answer = []byte(result)
		}
	}
	if v.Failure != nil {
		var body struct{ ErrorType, ErrorMessage string }
		_ = json.Unmarshal(v.Failure.Body, &body)
		out.Kind, out.Type, out.Message = "error", v.Failure.Type, body.ErrorMessage
		if body.ErrorType != v.Failure.Type {
			out.Type += " (body says " + body.ErrorType + ")"
		}
	} else {
		out.Kind, out.Value = "return", canonical(v.Answer)
	}
	out.Records = strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if w.Len() == 0 {
		out.Records = nil
	}
	return out
}

var whereField = regexp.MustCompile(`"where":"[^"]*"`)

func unwhere(lines []string) []string {
	out := make([]string, len(lines))
	for i, line := range lines {
		out[i] = whereField.ReplaceAllString(line, `"where":"<code>"`)
	}
	return out
}

// The invocation vectors of proxy/gen/vectors_invocations.py (INVOCATION_VECTORS): the Python
// wrapper's ProtectedHandler on events of every source under seven configurations.
func TestSameAsPythonWrapper(t *testing.T) {
	var v struct {
		FunctionName string              `json:"function_name"`
		Now          float64             `json:"now"`
		Configs      []map[string]string `json:"configs"`
		Invocations  []struct {
			Event     string    `json:"event"`
			Result    string    `json:"result"`
			RequestID string    `json:"request_id"`
			Outcomes  []outcome `json:"outcomes"`
		} `json:"invocations"`
	}
	vectortest.Load(t, "INVOCATION_VECTORS", "tests/proxy/test_build.py sets it", &v)
	inspectors := make([]*Inspector, len(v.Configs))
	for i, env := range v.Configs {
		env["AWS_LAMBDA_FUNCTION_NAME"] = v.FunctionName
		inspectors[i] = FromEnvironment(func(name string) string { return env[name] }, nil)
		inspectors[i].SetClock(func() float64 { return v.Now })
	}
	bad, checks := 0, 0
	for _, inv := range v.Invocations {
		for i, want := range inv.Outcomes {
			if want.HandlerEvent != nil {
				*want.HandlerEvent = canonical([]byte(*want.HandlerEvent))
			}
			if want.Kind == "return" {
				want.Value = canonical([]byte(want.Value))
			}
			got := run(inspectors[i], inv.RequestID, inv.Event, inv.Result)
			// a GuardError's "where" is a place in each engine's own code
			got.Records, want.Records = unwhere(got.Records), unwhere(want.Records)
			checks++
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(want)
			if string(a) != string(b) {
				bad++
				if bad <= 8 {
					t.Errorf("configuration %d, event %.300s, result %.200s:\n go     %s\n python %s", i, inv.Event, inv.Result, a, b)
				}
			}
		}
	}
	t.Logf("invocations: %d configurations x %d events (%d invocations), %d differ", len(v.Configs), len(v.Invocations), checks, bad)
	if bad > 0 {
		t.Fatalf("%d differences from the Python wrapper", bad)
	}
}

func TestPrewarmedInitialisationCompilesEveryRule(t *testing.T) {
	env := map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}
	out := &strings.Builder{}
	in := FromEnvironment(func(name string) string { return env[name] }, out)
	if in.guard == nil {
		t.Fatal("no guard")
	}
	defer func() { t.Log(out.String()) }()
	v := in.Event(&runtimeproxy.Invocation{RequestID: "r", Event: []byte(`{"q": "<script>alert(1)</script>"}`)})
	if !v.Block || v.Failure == nil || v.Failure.Type != "GuardBlockedError" {
		t.Fatalf("not blocked after a prewarmed init: %+v", v)
	}
}

// The background compilation and inspections run at the same time (go test -race).
func TestBackgroundCompilationRacesNothing(t *testing.T) {
	in := FromEnvironment(func(string) string { return "" }, &strings.Builder{})
	in.CompileInBackground()
	for i := 0; i < 20; i++ {
		v := in.Event(&runtimeproxy.Invocation{RequestID: "r", Event: []byte(`{"q": "1' OR '1'='1' --", "u": "http://169.254.169.254/"}`)})
		if !v.Block {
			t.Fatal("not blocked")
		}
	}
}
