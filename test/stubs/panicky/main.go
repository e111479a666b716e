// Command panicky is a test plugin whose Verify panics. The SDK recovers the
// panic and reports it as that artifact's error; the process keeps serving.
package main

import (
	"context"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

type verifier struct{}

func (verifier) Info() sdk.Info {
	return stubkit.Info("stub-panicky", "stub", "A test artifact whose verification panics.")
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	panic("stub-panicky: deliberate panic verifying " + req.Kind + " " + req.Name)
}

func main() { sdk.Serve(verifier{}) }
