// Command crash is a test plugin that exits mid-run: Verify calls os.Exit(3)
// for an artifact whose behaviour is "crash". Every other artifact is handled
// as by the ok stub, so artifacts served before the crash pass.
package main

import (
	"context"
	"os"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

type verifier struct{}

func (verifier) Info() sdk.Info {
	return stubkit.Info("stub-crash", "stub", "A test artifact; behaviour \"crash\" kills the plugin process.")
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	a, err := stubkit.Decode(req)
	if err != nil {
		return nil, err
	}
	if a.Behaviour == "crash" {
		os.Exit(3)
	}
	return stubkit.Answer(req, a), nil
}

func main() { sdk.Serve(verifier{}) }
