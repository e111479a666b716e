// Command vmafx-trust verifies a software release against a policy of
// declared signer identities. It is also a kubectl plugin and accepts
// cosign's verify command lines.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/vmafx/vmafx-trust/internal/cliflags"
	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/termtext"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/plugins/blob"
	"github.com/vmafx/vmafx-trust/plugins/image"
	"github.com/vmafx/vmafx-trust/plugins/pypi"
	"github.com/vmafx/vmafx-trust/plugins/sbom"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// servePluginArg is the hidden first argument with which the host re-executes
// itself to serve a built-in plugin.
const servePluginArg = "__serve-plugin"

// builtins are the verifier plugins shipped inside this binary, by name.
// Only this package wires them in; the host receives them as a list.
func builtins() []host.Builtin {
	// In one process the sbom plugin finds image attestations through the
	// image plugin's own instance, so what an image block fetched in the
	// run (manifests, referrers, tags) is not fetched again.
	images := sync.OnceValue(image.New)
	return []host.Builtin{
		{Name: "blob", New: func() sdk.Verifier { return blob.New() }},
		{Name: "image", New: func() sdk.Verifier { return images() }},
		{Name: "pypi", New: func() sdk.Verifier { return pypi.New() }},
		{Name: "sbom", New: func() sdk.Verifier { return sbom.New(sbom.WithImages(images())) }},
	}
}

func main() {
	tuneGC()
	if len(os.Args) >= 3 && os.Args[1] == servePluginArg {
		for _, b := range builtins() {
			if b.Name == os.Args[2] {
				sdk.Serve(b.New())
				return
			}
		}
		fmt.Fprintf(os.Stderr, "vmafx-trust: no built-in plugin %q\n", os.Args[2])
		os.Exit(report.ExitUsage)
	}
	os.Exit(run(os.Args))
}

// tuneGC makes the collector run less often than Go's default unless the
// user set GOGC: a run's live heap is a few MiB (files are streamed), so at
// GOGC=100 the collector starts every few MiB allocated and costs a
// quarter of a many-artifact run's CPU; at 400 the heap stays within tens
// of MiB. A soft limit of 128 MiB (unless the user set GOMEMLIMIT) bounds
// what GOGC=400 would otherwise let grow to five times the live heap where
// that heap is large: an SBOM attestation's bundle and its decodings are
// hundreds of MiB of short-lived buffers, which the collector then reclaims
// as they die rather than after many more have been faulted in. Host and
// built-in plugins (the same binary) both start here.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

// run executes the CLI and returns the exit code. Cleanup (killing plugins)
// happens in the commands' defers before run returns: nothing calls os.Exit
// while plugins are alive.
func run(args []string) int {
	if _, err := isolateBuiltins(); err != nil {
		fmt.Fprintln(os.Stderr, commandName(args[0])+":", termtext.CleanLines(err.Error()))
		return report.ExitUsage
	}
	ctx, stop := notifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp()
	err := app.RunContext(ctx, cliflags.Reorder(app, args))
	if err == nil {
		return report.ExitOK
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(os.Stderr, commandName(args[0])+":", termtext.CleanLines(msg))
	}
	return exitCode(err)
}

// exitCode is the exit status an error stands for. Only exitError carries
// one; every other error is a usage error: urfave/cli's (an unknown command
// or help topic, a bad flag), and a command line (options.UsageError) or a
// session (host.UsageError) that cannot mean anything.
func exitCode(err error) int {
	var ec *exitError
	if errors.As(err, &ec) {
		return ec.code
	}
	return report.ExitUsage
}

// exitError carries an exit code; an empty message prints nothing.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitf(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// notifyContext is signal.NotifyContext with the registration done in the
// background. The runtime's first signal.Notify starts a thread to manage
// signal masks and waits for it: a quarter of a millisecond of every run,
// before anything else could start. Here the command goes on meanwhile. A
// signal in that fraction of a millisecond gets the default action: the
// process ends by the signal (a non-zero status, normally long before any
// report could be written), so nothing passes; plugin processes started by
// then end with it (the parent-death signal on Linux, and the SDK's Serve
// watches its parent).
//
// As with signal.NotifyContext, the signals stay caught until stop, so a
// second Ctrl-C does not cut the cleanup short.
func notifyContext(parent context.Context, signals ...os.Signal) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	stopped, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, signals...)
		defer signal.Stop(ch)
		select {
		case <-ch:
			cancel()
		case <-stopped:
		}
		<-stopped
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			cancel()
			close(stopped)
		})
		<-done
	}
}
