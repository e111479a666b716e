package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// Builtin is a verifier plugin compiled into the host binary.
type Builtin struct {
	Name string
	New  func() sdk.Verifier
}

// Isolation serves each built-in in a process of its own: Executable
// re-executed with Args followed by the built-in's name. Without it,
// built-ins are served inside the host process (docs/architecture.md,
// "Where plugins run").
type Isolation struct {
	Executable string
	Args       []string
}

// SessionOptions say which plugins a session starts.
type SessionOptions struct {
	// Builtins are the plugins built into the binary.
	Builtins []Builtin
	// Kinds are the artifact kinds the command needs: only the built-ins
	// serving one of them start. Their schemas are known in process, so a
	// run starts only the built-ins its policy uses.
	Kinds []string
	// AllBuiltins starts every built-in, whatever Kinds says (commands that
	// list or describe plugins).
	AllBuiltins bool
	// PluginDirs are searched for custom plugins (PluginPrefix*), which
	// all start: their kinds are known only once they describe themselves.
	// Empty: no custom plugin takes part (the cosign-style verbs, which are
	// command lines over a built-in kind).
	PluginDirs []string
	// Pins map a custom plugin's name to the sha256 its executable must
	// have; they are checked before any plugin starts.
	Pins map[string]string
	// Isolation, when set, serves built-ins out of process.
	Isolation *Isolation
	// OnLaunchError hears of each plugin that could not start; the session
	// goes on with the others (a policy block of a kind only that plugin
	// serves is then a policy error).
	OnLaunchError func(error)
}

// UsageError is a session the user's input makes impossible (a pin that
// does not hold, a custom plugin shadowing a built-in kind): nothing runs.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Session is the plugins of one command, from start to Close: it decodes
// policies with their schemas and runs policies' artifacts.
type Session struct {
	opts       SessionOptions
	plugins    *Set
	launchErrs []error
	// pending is the launch of built-ins still under way: their start-up
	// overlaps decoding the policy and loading its trust roots. join waits.
	pending <-chan launched
}

type launched struct {
	set  *Set
	errs []error
}

// NewSession checks the pins, starts the custom plugins and waits for them
// to describe themselves, and starts the wanted built-ins in the background.
func NewSession(ctx context.Context, opts SessionOptions) (*Session, error) {
	custom, err := pinSources(Discover(opts.PluginDirs), opts)
	if err != nil {
		return nil, err
	}
	builtins := builtinSources(opts)
	s := &Session{opts: opts, plugins: &Set{}}
	if len(custom) > 0 {
		set, errs := LaunchAll(ctx, custom)
		s.plugins = set
		s.report(errs)
	}
	if len(builtins) > 0 {
		ch := make(chan launched, 1)
		go func() {
			set, errs := LaunchAll(ctx, builtins)
			ch <- launched{set: set, errs: errs}
		}()
		s.pending = ch
	}
	if opts.AllBuiltins && len(s.Plugins().Plugins) == 0 {
		s.Close()
		return nil, ErrNoPlugins
	}
	return s, nil
}

func (s *Session) report(errs []error) {
	s.launchErrs = append(s.launchErrs, errs...)
	if s.opts.OnLaunchError != nil {
		for _, e := range errs {
			s.opts.OnLaunchError(e)
		}
	}
}

// join waits for the built-ins' launch and adds them to the session.
func (s *Session) join() {
	if s.pending == nil {
		return
	}
	l := <-s.pending
	s.pending = nil
	s.report(append(l.errs, s.plugins.Merge(l.set)...))
}

// Plugins are the session's running plugins, once all have started.
func (s *Session) Plugins() *Set {
	s.join()
	return s.plugins
}

// LaunchErrors are the plugins that could not start.
func (s *Session) LaunchErrors() []error {
	s.join()
	return s.launchErrs
}

// Schemas are the artifact kinds a policy may use: every built-in's (known
// in process, started or not) and every custom plugin's. A custom plugin
// serving a built-in kind is a UsageError: it would change what a policy
// block means without the policy saying so.
func (s *Session) Schemas() (policy.Schemas, error) {
	schemas := policy.Schemas{}
	for _, b := range s.opts.Builtins {
		for _, k := range b.New().Info().Kinds {
			schemas[k.Kind] = k
		}
	}
	custom := s.plugins.Schemas()
	kinds := make([]string, 0, len(custom))
	for k := range custom {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if _, builtin := schemas[k]; builtin {
			return nil, &UsageError{fmt.Errorf("a plugin on the plugin path serves artifact kind %q, which a built-in serves: remove or rename it", k)}
		}
		schemas[k] = custom[k]
	}
	return schemas, nil
}

// Decode evaluates a parsed policy with the session's schemas.
func (s *Session) Decode(f *policy.File, in policy.Inputs) (*policy.Policy, hcl.Diagnostics, error) {
	schemas, err := s.Schemas()
	if err != nil {
		return nil, nil, err
	}
	pol, diags := policy.Decode(f, schemas, in)
	return pol, diags, nil
}

// RunOptions tune Session.Run.
type RunOptions struct {
	Options
	// CacheDir is the TUF cache; empty: the user cache directory.
	CacheDir string
}

// Run loads the trust roots the policy's artifacts use, configures every
// plugin with them, and verifies the artifacts (Run). An error means the
// plugins could not be configured: nothing was verified.
func (s *Session) Run(ctx context.Context, pol *policy.Policy, opts RunOptions) ([]*Result, error) {
	roots := LoadRoots(ctx, pol, trustroot.Options{Offline: opts.Offline, CacheDir: opts.CacheDir})
	plugins := s.Plugins()
	if err := plugins.Configure(ctx, roots.Wire); err != nil {
		return nil, err
	}
	return Run(ctx, pol, plugins, roots, opts.Options), nil
}

// Close stops every plugin of the session, those still starting included.
func (s *Session) Close() {
	if s.pending != nil {
		l := <-s.pending
		s.pending = nil
		l.set.Kill()
	}
	s.plugins.Kill()
}

// builtinSources are the built-ins the options want started.
func builtinSources(opts SessionOptions) []Source {
	want := map[string]bool{}
	for _, k := range opts.Kinds {
		want[k] = true
	}
	var sources []Source
	for _, b := range opts.Builtins {
		if !opts.AllBuiltins && !servesAny(b.New().Info(), want) {
			continue
		}
		if iso := opts.Isolation; iso != nil {
			sources = append(sources, BuiltinProcess(b.Name, iso.Executable, append(append([]string{}, iso.Args...), b.Name)...))
		} else {
			sources = append(sources, BuiltinInProcess(b.Name, b.New))
		}
	}
	return sources
}

func servesAny(info sdk.Info, kinds map[string]bool) bool {
	for _, k := range info.Kinds {
		if kinds[k.Kind] {
			return true
		}
	}
	return false
}

// pinSources applies the pins to the custom plugins found: a pin that does
// not hold, names a built-in, or names no plugin found is a UsageError, and
// no plugin starts.
func pinSources(found []Source, opts SessionOptions) ([]Source, error) {
	matched := map[string]bool{}
	for i, src := range found {
		h, ok := opts.Pins[src.Name]
		if !ok {
			continue
		}
		pinned, err := Pin(src, h)
		if err != nil {
			return nil, &UsageError{err}
		}
		found[i] = pinned
		matched[src.Name] = true
	}
	names := make([]string, 0, len(opts.Pins))
	for name := range opts.Pins {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, b := range opts.Builtins {
			if b.Name == name {
				return nil, &UsageError{fmt.Errorf("plugin %q is built into vmafx-trust: only plugins from the plugin path can be pinned", name)}
			}
		}
		if !matched[name] {
			return nil, &UsageError{fmt.Errorf("the policy pins plugin %q, but no %s%s is on the plugin path (%s)", name, PluginPrefix, name, strings.Join(opts.PluginDirs, string(os.PathListSeparator)))}
		}
	}
	return found, nil
}

// ErrNoPlugins is a session in which no plugin could start at all.
var ErrNoPlugins = errors.New("no verifier plugin could be started")
