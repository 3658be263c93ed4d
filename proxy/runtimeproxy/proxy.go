// Package runtimeproxy sits between a Lambda runtime client and the Lambda Runtime API.
//
// The runtime (Node.js, Java, .NET, Ruby, a custom bootstrap) is pointed at the proxy by
// the wrapper script named in AWS_LAMBDA_EXEC_WRAPPER; the proxy forwards every request
// to the real Runtime API and hands two of them to an Inspector first:
//
//   - the event of GET /runtime/invocation/next, before the runtime sees it: a blocked
//     event is answered by the proxy itself (POST .../response upstream) and the runtime
//     gets the next event instead, so its handler never runs;
//   - the body of POST /runtime/invocation/{id}/response (buffered responses only), before
//     Lambda sees it: a withheld response is replaced by the inspector's answer.
//
// Streamed responses, errors, init errors, SnapStart's restore endpoints and anything else
// pass through unchanged, headers and trailers included.
//
// Example:
//
//	p := runtimeproxy.New("127.0.0.1:9001", runtimeproxy.PassThrough{})
//	http.Serve(listener, p)
package runtimeproxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Runtime API paths (version 2018-06-01).
const (
	runtimePrefix    = "/2018-06-01/runtime/"
	nextPath         = runtimePrefix + "invocation/next"
	invocationPrefix = runtimePrefix + "invocation/"
	// RequestIDHeader names the invocation in the answer to /next.
	RequestIDHeader = "Lambda-Runtime-Aws-Request-Id"
	// ResponseModeHeader is "streaming" on a streamed response.
	ResponseModeHeader = "Lambda-Runtime-Function-Response-Mode"
)

// Invocation is one event as the Runtime API handed it out.
type Invocation struct {
	RequestID string
	Header    http.Header // headers of the /next answer (deadline, ARN, trace id, ...)
	Event     []byte
	// State is the Inspector's, from Event to Response (a batch's records held back).
	State any
}

// Verdict is an Inspector's decision.
//
//   - Block with Answer: the event is answered with Answer (inbound; the runtime never sees
//     it) or the handler's response is replaced by Answer (outbound);
//   - Block with Failure: the same, but the invocation fails with that error (POST
//     .../error upstream) instead of answering;
//   - not blocked, inbound, with Event: the runtime gets Event instead of the event (a batch
//     without its blocked records).
type Verdict struct {
	Block   bool
	Answer  []byte
	Failure *Failure
	Event   []byte
}

// Failure is an invocation error as a runtime reports it: its type (the
// Lambda-Runtime-Function-Error-Type header) and its JSON body
// ({"errorMessage": ..., "errorType": ..., ...}).
type Failure struct {
	Type string
	Body []byte
}

// ErrorTypeHeader carries an invocation error's type to the Runtime API.
const ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type"

// Inspector decides on events and responses. Both methods are called from the
// goroutine serving the runtime's request and must be safe for concurrent use.
type Inspector interface {
	Event(inv *Invocation) Verdict
	Response(inv *Invocation, body []byte) Verdict
}

// PassThrough lets everything through.
type PassThrough struct{}

// Event lets the event through.
func (PassThrough) Event(*Invocation) Verdict { return Verdict{} }

// Response lets the response through.
func (PassThrough) Response(*Invocation, []byte) Verdict { return Verdict{} }

// Proxy is an http.Handler serving the Runtime API to a runtime client.
type Proxy struct {
	upstream  string
	inspector Inspector
	client    *http.Client
	forward   *httputil.ReverseProxy

	mu      sync.Mutex
	pending map[string]*Invocation
}

// New returns a proxy to the Runtime API at upstream ("host:port", the value of
// AWS_LAMBDA_RUNTIME_API the extension was started with).
func New(upstream string, inspector Inspector) *Proxy {
	transport := &http.Transport{
		Proxy:               nil, // never an HTTP proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        8,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     0, // the Runtime API keeps its connections; so do we
		DisableCompression:  true,
	}
	target := &url.URL{Scheme: "http", Host: upstream}
	forward := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// the same map as the runtime's request: its values (a streamed response's
			// error type and body) are only known once that body has been read
			pr.Out.Trailer = pr.In.Trailer
		},
		Transport: transport,
	}
	forward.FlushInterval = -1 // streamed responses reach Lambda as they are written
	forward.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, "protect-lambda proxy: Runtime API unreachable: "+err.Error(), http.StatusBadGateway)
	}
	return &Proxy{
		upstream:  upstream,
		inspector: inspector,
		client:    &http.Client{Transport: transport}, // no timeout: /next long-polls
		forward:   forward,
		pending:   map[string]*Invocation{},
	}
}

// ServeHTTP routes one request of the runtime client.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == nextPath:
		p.next(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, invocationPrefix) &&
		strings.HasSuffix(r.URL.Path, "/response"):
		p.response(w, r)
	default:
		p.forget(r)
		p.forward.ServeHTTP(w, r)
	}
}

// next fetches events until one passes the inspector, answering blocked ones itself.
func (p *Proxy) next(w http.ResponseWriter, r *http.Request) {
	for {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, p.url(nextPath), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		copyHeader(req.Header, r.Header)
		resp, err := p.client.Do(req)
		if err != nil {
			http.Error(w, "protect-lambda proxy: Runtime API unreachable: "+err.Error(), http.StatusBadGateway)
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			http.Error(w, "protect-lambda proxy: reading the event: "+err.Error(), http.StatusBadGateway)
			return
		}
		inv := &Invocation{RequestID: resp.Header.Get(RequestIDHeader), Header: resp.Header, Event: body}
		if resp.StatusCode == http.StatusOK && inv.RequestID != "" {
			v := p.inspector.Event(inv)
			if v.Block {
				if err := p.answer(r, inv.RequestID, v.Answer, v.Failure); err != nil {
					http.Error(w, "protect-lambda proxy: answering a blocked event: "+err.Error(), http.StatusBadGateway)
					return
				}
				continue
			}
			if v.Event != nil {
				body = v.Event
			}
			p.mu.Lock()
			p.pending[inv.RequestID] = inv
			p.mu.Unlock()
		}
		copyHeader(w.Header(), resp.Header)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return
	}
}

// answer posts the response of a blocked event to the Runtime API (its error, with failure).
func (p *Proxy) answer(r *http.Request, requestID string, body []byte, failure *Failure) error {
	path := invocationPrefix + requestID + "/response"
	if failure != nil {
		path, body = invocationPrefix+requestID+"/error", failure.Body
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.url(path), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if failure != nil {
		req.Header.Set(ErrorTypeHeader, failure.Type)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// response inspects a buffered response; streamed ones pass through as they come.
func (p *Proxy) response(w http.ResponseWriter, r *http.Request) {
	inv := p.forget(r)
	if inv == nil || strings.EqualFold(r.Header.Get(ResponseModeHeader), "streaming") {
		p.forward.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "protect-lambda proxy: reading the response: "+err.Error(), http.StatusBadRequest)
		return
	}
	if v := p.inspector.Response(inv, body); v.Block {
		body = v.Answer
		if v.Failure != nil { // the invocation fails instead: its error, not the response
			body = v.Failure.Body
			r.URL.Path = invocationPrefix + inv.RequestID + "/error"
			r.Header.Set(ErrorTypeHeader, v.Failure.Type)
			r.Header.Set("Content-Type", "application/json")
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Del("Content-Length")
	r.TransferEncoding = nil
	p.forward.ServeHTTP(w, r)
}

// forget removes and returns the pending invocation a request names, if any.
func (p *Proxy) forget(r *http.Request) *Invocation {
	rest, ok := strings.CutPrefix(r.URL.Path, invocationPrefix)
	if !ok {
		return nil
	}
	id, _, _ := strings.Cut(rest, "/")
	p.mu.Lock()
	defer p.mu.Unlock()
	inv := p.pending[id]
	delete(p.pending, id)
	return inv
}

func (p *Proxy) url(path string) string { return "http://" + p.upstream + path }

// copyHeader copies every header but the hop-by-hop ones.
func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		switch k {
		case "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Upgrade":
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}
