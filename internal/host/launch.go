// Package host runs a policy: it launches verifier plugins (out of process,
// built-ins also inside it), decodes the policy with their schemas, loads
// trust material once, schedules verifications concurrently and re-verifies
// every piece of evidence a plugin returns. It knows no artifact format and
// imports no plugin.
package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/vmafx/vmafx-trust/internal/pluginclient"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// PluginPrefix is the file name prefix of custom plugins on the plugin path.
const PluginPrefix = "vmafx-trust-plugin-"

// PluginPathEnv lists extra plugin directories (os.PathListSeparator-separated).
const PluginPathEnv = "VMAFX_TRUST_PLUGIN_PATH"

// Source says how to start one plugin.
type Source struct {
	// Name is how messages refer to the plugin before it has described
	// itself: the built-in's name or the executable's file name.
	Name    string
	Builtin bool
	// Command returns a fresh command that serves the plugin.
	Command func() *exec.Cmd
	Path    string // executable, for custom plugins
	// InProcess, when set, makes the plugin that Launch serves inside this
	// process (built-ins only; Command is then unused).
	InProcess func() sdk.Verifier
	// Pinned is the sha256 (hex) a policy pins this custom plugin's
	// executable to (set by Pin, which has checked it): the host accepts
	// the plugin's opaque verdicts.
	Pinned string
	pinned *pinnedExe
}

// CredentialEnvPrefix names the environment variables that carry
// vmafx-trust's own credentials (VMAFX_TRUST_REGISTRY_TOKEN, _USERNAME,
// _PASSWORD): built-in plugins see them, plugins from the plugin path do not.
const CredentialEnvPrefix = "VMAFX_TRUST_REGISTRY_"

func withoutCredentials(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, CredentialEnvPrefix) {
			out = append(out, kv)
		}
	}
	return out
}

// BuiltinProcess makes a Source for a built-in plugin served by
// re-executing the host binary with args.
func BuiltinProcess(name, executable string, args ...string) Source {
	return Source{Name: name, Builtin: true, Path: executable, Command: func() *exec.Cmd {
		return exec.Command(executable, args...)
	}}
}

// BuiltinInProcess makes a Source for a built-in plugin served inside the
// host process (pluginclient.ServeInProcess): the plugin protocol's calls
// and messages without a connection or a process to start (see
// docs/architecture.md, "Where plugins run").
func BuiltinInProcess(name string, newVerifier func() sdk.Verifier) Source {
	return Source{Name: name, Builtin: true, Path: "in-process", InProcess: newVerifier}
}

// External makes a Source for a plugin executable.
func External(path string) Source {
	return Source{Name: strings.TrimPrefix(filepath.Base(path), PluginPrefix), Path: path, Command: func() *exec.Cmd {
		return exec.Command(path)
	}}
}

// PluginDirs returns the plugin search path in order: $VMAFX_TRUST_PLUGIN_PATH,
// the user config dir, then the directory of the running binary.
func PluginDirs() []string {
	var dirs []string
	if p := os.Getenv(PluginPathEnv); p != "" {
		dirs = append(dirs, filepath.SplitList(p)...)
	}
	if d, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "vmafx-trust", "plugins"))
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	return dirs
}

// Discover finds custom plugin executables named vmafx-trust-plugin-* in dirs;
// the first of a name wins.
func Discover(dirs []string) []Source {
	seen := map[string]bool{}
	var out []Source
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			if !strings.HasPrefix(n, PluginPrefix) || seen[n] {
				continue
			}
			p := filepath.Join(dir, n)
			st, err := os.Stat(p)
			if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				continue
			}
			seen[n] = true
			out = append(out, External(p))
		}
	}
	return out
}

// Plugin is a launched, described plugin.
type Plugin struct {
	Source Source
	Info   sdk.Info
	cmd    *exec.Cmd // started by go-plugin
	client *goplugin.Client
	stop   func() // stops an in-process plugin
	rpc    pluginclient.Client
	stderr *tailBuffer
}

// Name is the name the plugin described itself with.
func (p *Plugin) Name() string {
	if p.Info.Name != "" {
		return p.Info.Name
	}
	return p.Source.Name
}

// Kill stops the plugin process. A custom plugin is asked to shut down
// (go-plugin closes the connection and waits for it to exit, up to two
// seconds, before killing it), so it can clean up. A built-in keeps nothing
// that needs cleaning up, so it is killed outright: the graceful round trip
// was a millisecond at the end of every run.
func (p *Plugin) Kill() {
	if p.stop != nil {
		p.stop()
		return
	}
	if p.client == nil {
		return
	}
	if p.Source.Builtin && p.cmd != nil && p.cmd.Process != nil {
		// The process handle (a pidfd on Linux) cannot hit a reused pid.
		_ = p.cmd.Process.Kill()
	}
	p.client.Kill()
}

// Exited reports whether the plugin process is gone. An in-process plugin
// has none: it never exits on its own.
func (p *Plugin) Exited() bool {
	if p.stop != nil {
		return false
	}
	return p.client == nil || p.client.Exited()
}

// exitedWithin waits up to d for the plugin process to be gone: a crash is
// seen by the gRPC client a moment before go-plugin reaps the process.
func (p *Plugin) exitedWithin(d time.Duration) bool {
	if p.stop != nil {
		return false
	}
	deadline := time.Now().Add(d)
	for !p.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Pid is the plugin's process id, or 0.
func (p *Plugin) Pid() int {
	if p.client == nil {
		return 0
	}
	if rc := p.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// StderrTail is the end of what the plugin wrote to stderr.
func (p *Plugin) StderrTail() string { return strings.TrimSpace(p.stderr.String()) }

// LaunchError says a plugin could not be started or described.
type LaunchError struct {
	Plugin string
	Path   string
	Err    error
	Stderr string
}

func (e *LaunchError) Error() string {
	msg := fmt.Sprintf("plugin %q (%s): %v", e.Plugin, e.Path, e.Err)
	if e.Stderr != "" {
		msg += "\n  plugin stderr: " + strings.ReplaceAll(e.Stderr, "\n", "\n  ")
	}
	return msg
}

func (e *LaunchError) Unwrap() error { return e.Err }

// StartTimeout bounds a plugin's handshake.
const StartTimeout = 20 * time.Second

// Launch starts one plugin, performs the handshake and asks it to describe
// itself.
func Launch(ctx context.Context, src Source) (*Plugin, error) {
	if src.InProcess != nil {
		return launchInProcess(ctx, src)
	}
	cmd := src.Command()
	if src.Pinned != "" {
		if src.pinned == nil {
			return nil, &LaunchError{Plugin: src.Name, Path: src.Path, Err: errors.New("pinned but not prepared (host.Pin)")}
		}
		// Launch returns after the handshake: the process has started.
		defer src.pinned.close()
		cmd.Path = src.pinned.exe
	}
	setParentDeathSignal(cmd)
	p := &Plugin{Source: src, cmd: cmd, stderr: newTailBuffer(8 << 10)}
	if !src.Builtin {
		// vmafx-trust's own credentials are for the built-in image plugin;
		// a third-party plugin gets the rest of the environment.
		cmd.Env = withoutCredentials(os.Environ())
	}
	p.client = goplugin.NewClient(&goplugin.ClientConfig{
		SkipHostEnv:      !src.Builtin,
		HandshakeConfig:  protocol.Handshake(),
		VersionedPlugins: pluginclient.PluginSet(),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Stderr:           p.stderr,
		// Writes to os.Stderr after Serve are relayed by go-plugin here.
		SyncStderr:      p.stderr,
		StartTimeout:    StartTimeout,
		GRPCDialOptions: pluginclient.GRPCDialOptions(),
		Logger:          hclog.NewNullLogger(),
	})
	fail := func(err error) (*Plugin, error) {
		p.client.Kill()
		return nil, &LaunchError{Plugin: src.Name, Path: src.Path, Err: explainLaunch(err), Stderr: p.StderrTail()}
	}
	rpc, err := p.client.Client()
	if err != nil {
		return fail(err)
	}
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		return fail(err)
	}
	c, ok := raw.(pluginclient.Client)
	if !ok {
		return fail(errors.New("plugin did not dispense a verifier"))
	}
	p.rpc = c
	if err := p.describe(ctx); err != nil {
		return fail(err)
	}
	return p, nil
}

// launchInProcess serves a built-in inside this process.
func launchInProcess(ctx context.Context, src Source) (*Plugin, error) {
	c, stop := pluginclient.ServeInProcess(src.InProcess())
	p := &Plugin{Source: src, stop: stop, rpc: c, stderr: newTailBuffer(0)}
	if err := p.describe(ctx); err != nil {
		stop()
		return nil, &LaunchError{Plugin: src.Name, Path: src.Path, Err: err}
	}
	return p, nil
}

// describe asks the plugin to describe itself and checks the answer.
func (p *Plugin) describe(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	info, err := p.rpc.Describe(dctx)
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	if !supports(info.ProtocolVersions, sdk.ProtocolVersion) {
		return fmt.Errorf("plugin speaks protocol versions %v, this vmafx-trust speaks %d: install a plugin release built for protocol %d", info.ProtocolVersions, sdk.ProtocolVersion, sdk.ProtocolVersion)
	}
	if info.Name == "" || len(info.Kinds) == 0 {
		return errors.New("plugin described no name or no artifact kinds")
	}
	if err := checkReserved(info); err != nil {
		return err
	}
	p.Info = info
	return nil
}

func supports(vs []int, v int) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func explainLaunch(err error) error {
	msg := err.Error()
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "incompatible api version"):
		return fmt.Errorf("speaks another plugin protocol version (%s); this vmafx-trust speaks protocol %d: install a plugin release built for protocol %d", msg, sdk.ProtocolVersion, sdk.ProtocolVersion)
	case strings.Contains(lower, "unrecognized remote plugin message"):
		return fmt.Errorf("broke the handshake by writing to stdout before it (plugins must log to stderr only): %s", msg)
	case strings.Contains(msg, "plugin exited before we could connect"):
		return fmt.Errorf("exited during start-up (see its stderr below): %w", err)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("did not complete the handshake within %s: %w", StartTimeout, err)
	}
	return err
}

// Set is the plugins of a run, by artifact kind.
type Set struct {
	Plugins []*Plugin
	byKind  map[string]*Plugin
}

// LaunchAll starts every source concurrently. Plugins that fail to start are
// reported in errs; the others are returned. Two plugins serving the same
// kind is an error (the earlier source keeps the kind).
func LaunchAll(ctx context.Context, sources []Source) (*Set, []error) {
	plugins := make([]*Plugin, len(sources))
	errs := make([]error, len(sources))
	var wg sync.WaitGroup
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			plugins[i], errs[i] = Launch(ctx, src)
		}()
	}
	wg.Wait()
	set := &Set{byKind: map[string]*Plugin{}}
	var out []error
	for i, p := range plugins {
		if errs[i] != nil {
			out = append(out, errs[i])
			continue
		}
		out = append(out, set.add(p)...)
	}
	return set, out
}

// add puts a launched plugin in the set; a kind already served by an earlier
// plugin stays with it.
func (s *Set) add(p *Plugin) []error {
	if s.byKind == nil {
		s.byKind = map[string]*Plugin{}
	}
	var out []error
	s.Plugins = append(s.Plugins, p)
	for _, k := range p.Info.Kinds {
		if prev, dup := s.byKind[k.Kind]; dup {
			out = append(out, fmt.Errorf("plugin %q (%s) and plugin %q (%s) both serve artifact kind %q; remove one from the plugin path", prev.Name(), prev.Source.Path, p.Name(), p.Source.Path, k.Kind))
			continue
		}
		s.byKind[k.Kind] = p
	}
	return out
}

// Merge adds the plugins of o (launched later) to s.
func (s *Set) Merge(o *Set) []error {
	var out []error
	for _, p := range o.Plugins {
		out = append(out, s.add(p)...)
	}
	return out
}

// ForKind returns the plugin serving kind.
func (s *Set) ForKind(kind string) *Plugin { return s.byKind[kind] }

// Find returns the plugin with the given name.
func (s *Set) Find(name string) *Plugin {
	for _, p := range s.Plugins {
		if p.Name() == name || p.Source.Name == name {
			return p
		}
	}
	return nil
}

// Schemas returns every kind's schema.
func (s *Set) Schemas() map[string]sdk.KindSchema {
	out := map[string]sdk.KindSchema{}
	for _, p := range s.Plugins {
		for _, k := range p.Info.Kinds {
			if s.byKind[k.Kind] == p {
				out[k.Kind] = k
			}
		}
	}
	return out
}

// Kill stops every plugin process and waits for them to exit.
func (s *Set) Kill() {
	if s == nil {
		return
	}
	var wg sync.WaitGroup
	for _, p := range s.Plugins {
		wg.Add(1)
		go func() { defer wg.Done(); p.Kill() }()
	}
	wg.Wait()
}

// tailBuffer keeps the last n bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	n   int
	buf []byte
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.n:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// checkReserved refuses a plugin whose kinds declare what the host owns in
// every artifact block.
func checkReserved(info sdk.Info) error {
	for _, k := range info.Kinds {
		if err := policy.CheckKindSchema(k); err != nil {
			return err
		}
	}
	return nil
}
