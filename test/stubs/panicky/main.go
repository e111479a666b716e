// Command panicky is a test plugin whose Verify panics. The SDK recovers the
// panic and reports it as that artifact's error; the process keeps serving.
package main

import (
	"context"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

type verifier struct{}

func (verifier) Info() sdk.Info {
	return sdk.Info{
		Name:    "stub-panicky",
		Version: "0.0.1",
		Kinds: []sdk.KindSchema{{
			Kind:        "stub",
			Description: "A test artifact whose verification panics.",
			Attributes: []sdk.Attribute{
				{Name: "path", Type: sdk.TypePath, Description: "Unused file path."},
				{Name: "behaviour", Type: sdk.TypeString, Description: "Unused."},
			},
		}},
	}
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	panic("stub-panicky: deliberate panic verifying " + req.Kind + " " + req.Name)
}

func main() { sdk.Serve(verifier{}) }
