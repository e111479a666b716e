// Command slow is a test plugin whose Verify never finishes on its own: it
// waits until the host's context (deadline or cancellation) ends, so host
// tests can exercise timeouts. A hard cap of 10 minutes keeps a forgotten
// process from living forever.
package main

import (
	"context"
	"errors"
	"time"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

const hardCap = 10 * time.Minute

type verifier struct{}

func (verifier) Info() sdk.Info {
	return stubkit.Info("stub-slow", "slowstub", "A test artifact whose verification only ends when the host gives up.")
}

func (verifier) Verify(ctx context.Context, _ *sdk.Request) (*sdk.Result, error) {
	t := time.NewTimer(hardCap)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errors.New("stub-slow: hard cap of 10 minutes reached")
	}
}

func main() { sdk.Serve(verifier{}) }
