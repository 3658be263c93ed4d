// Command protect-lambda-proxy is the Lambda extension that puts the guard between a
// runtime and the Runtime API (see package runtimeproxy).
//
// Lambda starts it from /opt/extensions/protect-lambda-proxy before the runtime. It
// listens on 127.0.0.1:$PROTECT_LAMBDA_PROXY_PORT (default 9140), registers as an
// external extension and serves until SHUTDOWN. The wrapper script
// (/opt/protect-lambda/wrapper, named in AWS_LAMBDA_EXEC_WRAPPER) points the runtime's
// AWS_LAMBDA_RUNTIME_API at that port. If the proxy cannot listen or register it exits
// non-zero, and Lambda fails the environment's init: never a silently unprotected function.
//
//	protect-lambda-proxy            run as a Lambda extension
//	protect-lambda-proxy version    print the version
//	protect-lambda-proxy scan [--mode block|monitor] [--sensitivity 1-4] FILE.jsonl
//	                                the verdict lines of `protect-lambda scan`, from the Go guard
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"

	"github.com/protect-lambda/protect-lambda/proxy/internal/engine"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/inspector"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/runtimeproxy"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

const defaultPort = "9140"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println(version)
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "scan" {
		os.Exit(scan(os.Args[2:]))
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "[protect-lambda-proxy] fatal:", err)
		os.Exit(1)
	}
}

func run() error {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		return fmt.Errorf("AWS_LAMBDA_RUNTIME_API is not set: run as a Lambda extension")
	}
	port := os.Getenv("PROTECT_LAMBDA_PROXY_PORT")
	if port == "" {
		port = defaultPort
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return fmt.Errorf("listening on 127.0.0.1:%s: %w", port, err)
	}
	guard := inspector.FromEnvironment(os.Getenv, os.Stdout)
	server := &http.Server{Handler: runtimeproxy.New(api, guard)}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ext, err := runtimeproxy.Register(ctx, api, filepath.Base(os.Args[0]))
	if err != nil {
		return err
	}
	guard.CompileInBackground() // overlaps the runtime's initialisation

	events := make(chan error, 1)
	go func() {
		for {
			ev, err := ext.Next(ctx)
			if err != nil || ev == "SHUTDOWN" {
				events <- err
				return
			}
		}
	}()
	select {
	case err := <-served:
		return fmt.Errorf("proxy stopped: %w", err)
	case err := <-events:
		if ctx.Err() != nil {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// scan prints `protect-lambda scan`'s verdict lines for a JSON-lines file ("-": stdin); exit
// status 2 on unreadable input, as the Python command.
func scan(args []string) int {
	flags := flag.NewFlagSet("scan", flag.ContinueOnError)
	mode := flags.String("mode", "block", "block or monitor")
	sensitivity := flags.Int("sensitivity", 1, "sensitivity level 1-4")
	cpuProfile := flags.String("cpuprofile", "", "write a CPU profile (go tool pprof) of the scan to this file")
	rulesFile := flags.String("rules", "", "custom rules (validated, with their translations: protect-lambda scan --engine proxy writes it)")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: protect-lambda-proxy scan [--mode block|monitor] [--sensitivity 1-4] FILE.jsonl")
		return 2
	}
	custom, err := loadRules(*rulesFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "protect-lambda-proxy scan:", err)
		return 2
	}
	g, err := guard.New(guard.Options{Mode: *mode, Sensitivity: *sensitivity, CustomRules: custom})
	if err != nil {
		fmt.Fprintln(os.Stderr, "protect-lambda-proxy scan:", err)
		return 2
	}
	in := os.Stdin
	if name := flags.Arg(0); name != "-" {
		if in, err = os.Open(name); err != nil {
			fmt.Fprintln(os.Stderr, "protect-lambda-proxy scan:", err)
			return 2
		}
		defer in.Close()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "protect-lambda-proxy scan:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "protect-lambda-proxy scan:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	if err := g.Scan(in, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "protect-lambda-proxy scan:", err)
		return 2
	}
	return 0
}

// loadRules reads custom rules as `protect-lambda scan --engine proxy` writes them: the rules
// Rule.from_dict accepted, every field explicit, each pattern with its regexp2 translation.
func loadRules(path string) ([]*engine.Rule, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Rules []struct {
			engine.Rule
			Translated string `json:"translated"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var rules []*engine.Rule
	for i := range doc.Rules {
		r := doc.Rules[i].Rule
		if r.Pattern != "" {
			if err := pyre.Register(r.Pattern, engine.RuleFlags(&r), doc.Rules[i].Translated); err != nil {
				return nil, fmt.Errorf("rule %q: %w", r.ID, err)
			}
		}
		rules = append(rules, &r)
	}
	return rules, nil
}
