package runtimeproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Extensions API (version 2020-01-01) paths and headers.
const (
	extensionPrefix = "/2020-01-01/extension/"
	extensionName   = "Lambda-Extension-Name"
	extensionID     = "Lambda-Extension-Identifier"
)

// Extension is the proxy's registration as an external extension.
//
// Example:
//
//	ext, err := runtimeproxy.Register(ctx, os.Getenv("AWS_LAMBDA_RUNTIME_API"), "protect-lambda-proxy")
//	for err == nil { var ev string; ev, err = ext.Next(ctx); if ev == "SHUTDOWN" { break } }
type Extension struct {
	api    string
	id     string
	client *http.Client
}

// Register registers an external extension named name (the file name in
// /opt/extensions) for the SHUTDOWN event. Lambda starts the runtime once every
// extension has registered, so the proxy listens before it registers.
func Register(ctx context.Context, api, name string) (*Extension, error) {
	body, _ := json.Marshal(map[string][]string{"events": {"SHUTDOWN"}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		"http://"+api+extensionPrefix+"register", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set(extensionName, name)
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registering extension %s: %w", name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("registering extension %s: status %d", name, resp.StatusCode)
	}
	id := resp.Header.Get(extensionID)
	if id == "" {
		return nil, fmt.Errorf("registering extension %s: no %s header", name, extensionID)
	}
	return &Extension{api: api, id: id, client: client}, nil
}

// Next waits for the next lifecycle event and returns its type ("SHUTDOWN").
// The first call also tells Lambda that the extension's init is done.
func (e *Extension) Next(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.api+extensionPrefix+"event/next", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set(extensionID, e.id)
	resp, err := e.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("extension event/next: %w", err)
	}
	defer resp.Body.Close()
	var ev struct {
		EventType string `json:"eventType"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("extension event/next: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&ev); err != nil {
		return "", fmt.Errorf("extension event/next: %w", err)
	}
	return ev.EventType, nil
}
