package runtimeproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is a Runtime API with a queue of events; it records what the client posts.
type fakeAPI struct {
	mu       sync.Mutex
	events   []string
	posts    []post
	nextHits int
}

type post struct {
	path    string
	body    string
	header  http.Header
	trailer http.Header
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodGet && r.URL.Path == nextPath {
		f.nextHits++
		if len(f.events) == 0 {
			http.Error(w, "no event", http.StatusInternalServerError)
			return
		}
		ev := f.events[0]
		f.events = f.events[1:]
		id := fmt.Sprintf("req-%d", f.nextHits)
		w.Header().Set(RequestIDHeader, id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", "1795867200000")
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:f")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
		w.Header().Set("Lambda-Runtime-Client-Context", `{"custom":{"k":"v"}}`)
		_, _ = io.WriteString(w, ev)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == runtimePrefix+"restore/next" {
		f.posts = append(f.posts, post{path: r.URL.Path, header: r.Header.Clone()})
		w.Header().Set("Lambda-Runtime-Restore", "1")
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.posts = append(f.posts, post{path: r.URL.Path, body: string(body), header: r.Header.Clone(), trailer: r.Trailer.Clone()})
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// blocker blocks events and responses that contain "attack".
type blocker struct {
	mu        sync.Mutex
	responses int
}

func (b *blocker) Event(inv *Invocation) Verdict {
	if bytes.Contains(inv.Event, []byte("attack")) {
		return Verdict{Block: true, Answer: []byte(`{"statusCode":403}`)}
	}
	return Verdict{}
}

func (b *blocker) Response(inv *Invocation, body []byte) Verdict {
	b.mu.Lock()
	b.responses++
	b.mu.Unlock()
	if bytes.Contains(body, []byte("attack")) {
		return Verdict{Block: true, Answer: []byte(`{"statusCode":500,"body":"withheld"}`)}
	}
	return Verdict{}
}

func setup(t *testing.T, events ...string) (*fakeAPI, *blocker, string) {
	t.Helper()
	api := &fakeAPI{events: events}
	upstream := httptest.NewServer(api)
	t.Cleanup(upstream.Close)
	insp := &blocker{}
	proxy := httptest.NewServer(New(strings.TrimPrefix(upstream.URL, "http://"), insp))
	t.Cleanup(proxy.Close)
	return api, insp, proxy.URL
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func postTo(t *testing.T, url, body string, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestEventAndHeadersReachTheRuntimeUnchanged(t *testing.T) {
	api, _, url := setup(t, `{"q":"hello \u0000 é"}`)
	resp, body := get(t, url+nextPath)
	if resp.StatusCode != 200 || body != `{"q":"hello \u0000 é"}` {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	for _, h := range []string{RequestIDHeader, "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Invoked-Function-Arn",
		"Lambda-Runtime-Trace-Id", "Lambda-Runtime-Client-Context"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("header %s lost", h)
		}
	}
	if resp.Header.Get("Lambda-Runtime-Trace-Id") != "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1" {
		t.Errorf("trace id changed: %q", resp.Header.Get("Lambda-Runtime-Trace-Id"))
	}
	r := postTo(t, url+invocationPrefix+"req-1/response", `{"ok":true}`, map[string]string{"Content-Type": "application/json"})
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", r.StatusCode)
	}
	if len(api.posts) != 1 || api.posts[0].body != `{"ok":true}` || api.posts[0].path != invocationPrefix+"req-1/response" {
		t.Fatalf("posts %+v", api.posts)
	}
}

func TestBlockedEventIsAnsweredAndNeverReachesTheRuntime(t *testing.T) {
	api, _, url := setup(t, `{"q":"attack"}`, `{"q":"attack again"}`, `{"q":"fine"}`)
	resp, body := get(t, url+nextPath)
	if body != `{"q":"fine"}` || resp.Header.Get(RequestIDHeader) != "req-3" {
		t.Fatalf("runtime got %q (%s)", body, resp.Header.Get(RequestIDHeader))
	}
	if len(api.posts) != 2 {
		t.Fatalf("posts %+v", api.posts)
	}
	for i, p := range api.posts {
		if p.path != fmt.Sprintf("%sreq-%d/response", invocationPrefix, i+1) || p.body != `{"statusCode":403}` {
			t.Errorf("post %d: %+v", i, p)
		}
	}
}

func TestLeakingResponseIsWithheld(t *testing.T) {
	api, insp, url := setup(t, `{}`, `{}`)
	get(t, url+nextPath)
	postTo(t, url+invocationPrefix+"req-1/response", `{"secret":"attack"}`, nil)
	get(t, url+nextPath)
	postTo(t, url+invocationPrefix+"req-2/response", `{"fine":1}`, nil)
	if api.posts[0].body != `{"statusCode":500,"body":"withheld"}` || api.posts[1].body != `{"fine":1}` {
		t.Fatalf("posts %+v", api.posts)
	}
	if insp.responses != 2 {
		t.Fatalf("inspected %d responses", insp.responses)
	}
}

func TestErrorsAndUnknownInvocationsPassThrough(t *testing.T) {
	api, insp, url := setup(t, `{}`)
	get(t, url+nextPath)
	errType := map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Unhandled"}
	postTo(t, url+invocationPrefix+"req-1/error", `{"errorMessage":"attack"}`, errType)
	postTo(t, url+runtimePrefix+"init/error", `{"errorMessage":"x"}`, errType)
	postTo(t, url+invocationPrefix+"req-9/response", `attack`, nil) // not handed out by us
	if len(api.posts) != 3 || api.posts[0].body != `{"errorMessage":"attack"}` || api.posts[2].body != "attack" {
		t.Fatalf("posts %+v", api.posts)
	}
	if api.posts[0].header.Get("Lambda-Runtime-Function-Error-Type") != "Runtime.Unhandled" {
		t.Fatal("error type header lost")
	}
	if insp.responses != 0 {
		t.Fatal("errors and unknown invocations must not be inspected")
	}
}

func TestStreamedResponsePassesThroughWithTrailers(t *testing.T) {
	api, insp, url := setup(t, `{}`)
	get(t, url+nextPath)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %sreq-1/response HTTP/1.1\r\nHost: x\r\n%s: streaming\r\nTransfer-Encoding: chunked\r\n"+
		"Trailer: Lambda-Runtime-Function-Error-Type\r\n\r\n", invocationPrefix, ResponseModeHeader)
	fmt.Fprintf(conn, "5\r\nhello\r\n7\r\n attack\r\n0\r\nLambda-Runtime-Function-Error-Type: Runtime.Stream\r\n\r\n")
	rd := bufio.NewReader(conn)
	status, _ := rd.ReadString('\n')
	if !strings.Contains(status, "202") {
		rest := make([]byte, 400)
		n, _ := rd.Read(rest)
		t.Log(string(rest[:n]))
	}
	if !strings.Contains(status, "202") {
		t.Fatalf("status line %q", status)
	}
	if len(api.posts) != 1 || api.posts[0].body != "hello attack" {
		t.Fatalf("posts %+v", api.posts)
	}
	if api.posts[0].trailer.Get("Lambda-Runtime-Function-Error-Type") != "Runtime.Stream" {
		t.Fatalf("trailer lost: %+v", api.posts[0].trailer)
	}
	if insp.responses != 0 {
		t.Fatal("a streamed response is not buffered for inspection")
	}
}

func TestUnreachableRuntimeAPIIsAnError(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	proxy := httptest.NewServer(New(addr, PassThrough{}))
	defer proxy.Close()
	resp, _ := get(t, proxy.URL+nextPath)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestSnapStartRestorePassesThrough(t *testing.T) {
	api, insp, url := setup(t)
	resp, _ := get(t, url+runtimePrefix+"restore/next")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Lambda-Runtime-Restore") != "1" {
		t.Fatalf("restore/next: %d %v", resp.StatusCode, resp.Header)
	}
	postTo(t, url+runtimePrefix+"restore/error", `{"errorType":"Restore"}`,
		map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.RestoreError"})
	if len(api.posts) != 2 || api.posts[1].body != `{"errorType":"Restore"}` ||
		api.posts[1].header.Get("Lambda-Runtime-Function-Error-Type") != "Runtime.RestoreError" {
		t.Fatalf("posts %+v", api.posts)
	}
	if insp.responses != 0 {
		t.Fatal("restore calls are not inspected")
	}
}
