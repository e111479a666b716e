// Command ok is a test plugin that always passes (unless told otherwise) and
// hands back, as evidence, whatever bundle and digest its block names. Host
// tests use it to feed real and forged evidence to the host's re-verification.
package main

import (
	"context"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

type verifier struct{}

func (verifier) Info() sdk.Info {
	return stubkit.Info("stub-ok", "stub", "A test artifact that passes and returns the named bundle as evidence.")
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	a, err := stubkit.Decode(req)
	if err != nil {
		return nil, err
	}
	return stubkit.Answer(req, a), nil
}

func main() { sdk.Serve(verifier{}) }
