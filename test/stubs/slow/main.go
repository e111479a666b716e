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
)

const hardCap = 10 * time.Minute

type verifier struct{}

func (verifier) Info() sdk.Info {
	return sdk.Info{
		Name:    "stub-slow",
		Version: "0.0.1",
		Kinds: []sdk.KindSchema{{
			Kind:        "slowstub",
			Description: "A test artifact whose verification only ends when the host gives up.",
			Attributes: []sdk.Attribute{
				{Name: "path", Type: sdk.TypePath, Description: "Unused file path."},
				{Name: "behaviour", Type: sdk.TypeString, Description: "Unused."},
			},
		}},
	}
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
