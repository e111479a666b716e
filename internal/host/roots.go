package host

import (
	"context"
	"fmt"
	"sync"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Roots is the trust material of a run: what plugins are configured with and
// what the host verifies evidence against.
type Roots struct {
	Wire      []sdk.TrustRoot
	Materials map[string]*trust.Material
	// Broken are the trust roots that could not be loaded; their artifacts
	// are not verified. A root from files that do not parse makes its
	// artifacts fail; a TUF root that cannot be fetched makes them "error".
	Broken map[string]*RootError
}

// RootError is a trust root that could not be loaded.
type RootError struct {
	Err error
	// Unavailable: the material could not be obtained (network, cache),
	// as opposed to material that was obtained and is invalid.
	Unavailable bool
}

// LoadRoots loads every trust root the policy's artifacts use, concurrently,
// once for the run.
func LoadRoots(ctx context.Context, pol *policy.Policy, opts trustroot.Options) *Roots {
	used := map[string]bool{}
	for _, a := range pol.Artifacts {
		used[a.TrustRoot] = true
	}
	var specs []*policy.TrustRoot
	for _, tr := range pol.TrustRoots {
		if used[tr.Name] {
			specs = append(specs, tr)
		}
	}
	wire := make([]sdk.TrustRoot, len(specs))
	mats := make([]*trust.Material, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, tr := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := trustroot.Load(ctx, tr.Spec, opts)
			if err != nil {
				errs[i] = err
				return
			}
			m, err := trust.NewMaterial(w.Name, w.TrustedRootJSON, w.PublicKeysPEM)
			if err != nil {
				errs[i] = err
				return
			}
			wire[i], mats[i] = w, m
		}()
	}
	wg.Wait()
	r := &Roots{Materials: map[string]*trust.Material{}, Broken: map[string]*RootError{}}
	for i, tr := range specs {
		if errs[i] != nil {
			r.Broken[tr.Name] = &RootError{Err: errs[i], Unavailable: tr.TrustedRoot == "" && (len(tr.PublicKeys) == 0 || tr.WithTUF)}
			continue
		}
		r.Wire = append(r.Wire, wire[i])
		r.Materials[specs[i].Name] = mats[i]
	}
	return r
}

// Configure hands the trust roots to every plugin, once.
func (s *Set) Configure(ctx context.Context, roots []sdk.TrustRoot) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(s.Plugins))
	for i, p := range s.Plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.rpc.Configure(ctx, roots); err != nil {
				errs[i] = fmt.Errorf("plugin %q: configure: %w", p.Name(), err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
