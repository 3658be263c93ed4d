// Package inspector runs the guard on live invocations: the runtimeproxy.Inspector of the
// extension, a port of the Python wrapper's ProtectedHandler (protected_handler.py) on the
// event and response bytes of the Runtime API.
//
// An event is inspected before the runtime sees it: a blocked HTTP event gets its source's
// 403 (an authorizer's request a denial, a batch of blocked records its batch item failures)
// from the proxy, and the runtime never sees it; a batch with some blocked records reaches the
// runtime without them, and the handler's response gets them added to its batchItemFailures; a
// blocked event of any other source fails the invocation with GuardBlockedError, as the Python
// wrapper raises it. A leaking response is withheld in the same way. Every inspection with
// findings prints its Violation record(s) to the extension's stdout, which Lambda puts in the
// function's log stream; a failure of the guard prints a GuardError record and the fail
// policy decides.
//
// Example:
//
//	in := inspector.FromEnvironment(os.Getenv, os.Stdout)
//	proxy := runtimeproxy.New(os.Getenv("AWS_LAMBDA_RUNTIME_API"), in)
package inspector

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/records"
	"github.com/protect-lambda/protect-lambda/proxy/internal/responses"
	"github.com/protect-lambda/protect-lambda/proxy/runtimeproxy"
)

// phaseConfig is inspection.PHASE_CONFIG: the guard could not be built at cold start.
const phaseConfig = "config"

// Inspector is the guard between the Runtime API and a runtime. Safe for concurrent use.
type Inspector struct {
	config       Config
	guard        *guard.Guard
	guardErr     error // the configuration or guard that could not be built (guard is nil)
	functionName string
	reporter     *Reporter
	mu           sync.Mutex // one inspection at a time (the engine's caches are not shared-safe)
}

// New builds the Inspector of config; records go to out. configErr (the configuration could
// not be loaded) makes every invocation report it and follow config's fail policy.
func New(config Config, configErr error, out io.Writer, functionName string) *Inspector {
	if functionName == "" {
		functionName = "unknown"
	}
	in := &Inspector{config: config, guardErr: configErr, functionName: functionName,
		reporter: &Reporter{config: config, out: out, now: wallClock}}
	if configErr == nil {
		in.guard, in.guardErr = guard.New(guard.Options{Mode: config.Mode, Sensitivity: config.Sensitivity,
			RuleOverrides: config.RuleOverrides, CategoryOverrides: config.CategoryOverrides,
			Exclusions: config.Exclusions, CustomRules: config.CustomRules})
		if in.guardErr != nil {
			in.guardErr = &ConfigError{Msg: in.guardErr.Error()}
		}
	}
	return in
}

// FromEnvironment is the Inspector of the function's environment (wrapper._build): when the
// configuration cannot be loaded, the mode and fail policy of their own variables still apply.
func FromEnvironment(getenv func(string) string, out io.Writer) *Inspector {
	config, err := LoadConfig(getenv)
	if err != nil {
		config = DefaultConfig()
		mode := strings.ToLower(strings.TrimSpace(getenv(contract.PyMODE_ENV)))
		if mode == contract.PyMODE_MONITOR {
			config.Mode = mode
		}
		config.FailPolicy = ReadFailPolicy(getenv)
		config.Seal = strings.TrimSpace(getenv(contract.PySEAL_ENV))
	}
	in := New(config, err, out, getenv("AWS_LAMBDA_FUNCTION_NAME"))
	if in.guard != nil && prewarmed[getenv("AWS_LAMBDA_INITIALIZATION_TYPE")] {
		// provisioned concurrency and SnapStart run the init ahead of traffic: compile every rule
		// there instead of on first use during a request (inspection.build_guard)
		in.guard.CompileAll()
	}
	return in
}

// CompileInBackground compiles every rule in a goroutine of its own (rules otherwise compile on
// their first triggered use, in the inspection of an invocation): the extension starts it once
// registered, so that the runtime's own initialisation and the first invocations overlap with
// it instead of paying for it. Safe with inspections running: each rule compiles once.
func (in *Inspector) CompileInBackground() {
	if in.guard != nil {
		go in.guard.CompileAll()
	}
}

// prewarmed are inspection.PREWARMED_INITIALIZATIONS.
var prewarmed = map[string]bool{"provisioned-concurrency": true, "snap-start": true}

// SetClock replaces the clock of the records' timestamps (seconds since the epoch), for tests.
func (in *Inspector) SetClock(now func() float64) { in.reporter.now = now }

func wallClock() float64 { return float64(time.Now().UnixNano()) / 1e9 }

// state is what an event's inspection leaves for its response's.
type state struct {
	source       string
	event        *pyjson.Value // the event as Lambda sent it
	handlerEvent *pyjson.Value // what the runtime got (a batch without its blocked records)
	plan         *responses.InboundPlan
	skip         bool // a custom-resource request: handed on uninspected, both ways
}

// failed is a panic of the guard, as the error it reports (Python: an exception in the guard).
type failed struct {
	value any
	where string
}

func (f *failed) Error() string { return fmt.Sprint(f.value) }

// errorType is a failure's name in the GuardError record: the Python exception's where the
// port returns one, else the Go type.
func errorType(err error) string {
	switch e := err.(type) {
	case *ConfigError:
		return "GuardConfigError"
	case *responses.TypeError:
		return "TypeError"
	case *syntaxError:
		return "JSONDecodeError"
	case *failed:
		if re, ok := e.value.(runtime.Error); ok && strings.Contains(re.Error(), "index out of range") {
			return "IndexError"
		}
		return "RuntimeError"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", err), "*")
}

type syntaxError struct{ error }

// safely runs f, turning a panic into a *failed error (the guard must never take the
// proxy down with it).
func safely(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			where := ""
			for skip := 2; skip < 12; skip++ {
				pc, file, line, ok := runtime.Caller(skip)
				if !ok {
					break
				}
				name := runtime.FuncForPC(pc).Name()
				if !strings.HasPrefix(name, "runtime.") {
					where = string(records.Where([]rune(baseName(file)), line, []rune(name[strings.LastIndex(name, ".")+1:])))
					break
				}
			}
			err = &failed{value: v, where: where}
		}
	}()
	return f()
}

func baseName(path string) string { return path[strings.LastIndex(path, "/")+1:] }

func (in *Inspector) call(inv *runtimeproxy.Invocation) Invocation {
	return Invocation{FunctionName: in.functionName, RequestID: inv.RequestID}
}

// Event inspects an event before the runtime sees it (ProtectedHandler.__call__, inbound).
func (in *Inspector) Event(inv *runtimeproxy.Invocation) runtimeproxy.Verdict {
	in.mu.Lock()
	defer in.mu.Unlock()
	call := in.call(inv)
	event, parseErr := pyjson.Parse(inv.Event)
	if parseErr == nil && adapters.IsCustomResourceRequest(event) {
		// CloudFormation must always be able to create, update and delete a stack's resources:
		// handed on uninspected (custom_resources "skip", the only policy of the proxy)
		inv.State = &state{skip: true}
		return runtimeproxy.Verdict{}
	}
	source := "generic"
	var plan *responses.InboundPlan
	failure := in.guardErr
	if parseErr != nil && failure == nil {
		failure = &syntaxError{parseErr}
	}
	if failure == nil {
		failure = safely(func() error {
			verdict, err := in.guard.InspectEvent(event)
			if err != nil {
				return err
			}
			source = verdict.Source
			in.reporter.Report(verdict, source, call, event, false)
			plan, err = responses.PlanInbound(verdict, source, event, []rune(call.RequestID), in.config.AuthorizerResponse)
			return err
		})
		if failure != nil {
			plan = nil
		}
	}
	if failure != nil {
		source = sourceOf(event)
		phase := contract.PyDIRECTION_INBOUND
		if failure == in.guardErr {
			phase = phaseConfig
		}
		if in.reporter.GuardFailed(failure, phase, source, call, true) {
			return in.refuse(failure, contract.PyDIRECTION_INBOUND, source, event, call.RequestID)
		}
	}
	if plan == nil { // fail open: the event goes to the runtime untouched
		plan = &responses.InboundPlan{HandlerEvent: event}
	}
	if plan.Raise {
		return refusal(plan.RaiseBlocked(source), call.RequestID)
	}
	if plan.Respond {
		return runtimeproxy.Verdict{Block: true, Answer: []byte(pyjson.Dumps(plan.Response))}
	}
	st := &state{source: source, event: event, handlerEvent: plan.HandlerEvent, plan: plan}
	inv.State = st
	if plan.HandlerEvent != event {
		return runtimeproxy.Verdict{Event: []byte(pyjson.Dumps(plan.HandlerEvent))}
	}
	return runtimeproxy.Verdict{}
}

// Response inspects a buffered response before Lambda sees it (ProtectedHandler.__call__,
// outbound).
func (in *Inspector) Response(inv *runtimeproxy.Invocation, body []byte) runtimeproxy.Verdict {
	st, _ := inv.State.(*state)
	if st == nil || st.skip || in.guard == nil {
		return runtimeproxy.Verdict{} // uninspected, or the guard's failure was reported inbound
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	call := in.call(inv)
	result := responseValue(body)
	var answer *pyjson.Value // nil: the runtime's own bytes go on, untouched
	failure := safely(func() error {
		out, err := in.guard.InspectResponse(result, st.handlerEvent, true)
		if err != nil {
			return err
		}
		in.reporter.Report(out, st.source, call, nil, false)
		if out.Blocked {
			answer, err = responses.Withhold(out, st.source, st.event, []rune(call.RequestID), result, st.plan.Held,
				in.config.AuthorizerResponse)
			return err
		}
		if len(st.plan.Held) > 0 {
			answer = st.plan.WithHeldFailures(result, st.source)
		}
		return nil
	})
	if r, ok := failure.(*responses.Refusal); ok {
		return refusal(r, call.RequestID)
	}
	if failure != nil {
		if in.reporter.GuardFailed(failure, contract.PyDIRECTION_OUTBOUND, st.source, call, true) {
			return in.refuse(failure, contract.PyDIRECTION_OUTBOUND, st.source, st.event, call.RequestID)
		}
		answer = nil // fail open: the handler's result, still with the records held back inbound
		if len(st.plan.Held) > 0 {
			answer = st.plan.WithHeldFailures(result, st.source)
		}
	}
	if answer == nil {
		return runtimeproxy.Verdict{}
	}
	return runtimeproxy.Verdict{Block: true, Answer: []byte(pyjson.Dumps(answer))}
}

// responseValue is the handler's result: the JSON the runtime posted, or (a custom runtime
// posting something else) its text as a string.
func responseValue(body []byte) *pyjson.Value {
	if value, err := pyjson.Parse(body); err == nil {
		return value
	}
	if utf8.Valid(body) {
		return responses.Str([]rune(string(body)))
	}
	return responses.Str(adapters.DecodeReplace(body))
}

func sourceOf(event *pyjson.Value) (source string) {
	if event == nil {
		return "generic"
	}
	if safely(func() error { source = responses.FallbackSource(event); return nil }) != nil {
		return "generic"
	}
	return source
}

// refuse is blocking.refuse: the block of a fail-closed guard failure.
func (in *Inspector) refuse(failure error, direction, source string, event *pyjson.Value, requestID string) runtimeproxy.Verdict {
	if event == nil {
		event = &pyjson.Value{Kind: pyjson.Null}
	}
	answer, err := responses.Refuse(errorType(failure), direction, source, event, []rune(requestID), in.config.AuthorizerResponse)
	if r, ok := err.(*responses.Refusal); ok {
		return refusal(r, requestID)
	}
	if err != nil {
		return runtimeproxy.Verdict{Block: true, Failure: invocationError("GuardFailedClosedError", err.Error(), requestID)}
	}
	return runtimeproxy.Verdict{Block: true, Answer: []byte(pyjson.Dumps(answer))}
}

// refusal fails the invocation with the exception the Python wrapper raises.
func refusal(r *responses.Refusal, requestID string) runtimeproxy.Verdict {
	return runtimeproxy.Verdict{Block: true, Failure: invocationError(r.Type, r.Error(), requestID)}
}

// invocationError is the error body a runtime client posts for an exception of type kind.
func invocationError(kind, message, requestID string) *runtimeproxy.Failure {
	body, _ := json.Marshal(map[string]any{"errorMessage": message, "errorType": kind,
		"requestId": requestID, "stackTrace": []string{}})
	return &runtimeproxy.Failure{Type: kind, Body: body}
}
