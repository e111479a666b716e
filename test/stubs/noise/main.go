// Command noise is a test plugin that writes to stdout before serving, which
// corrupts the go-plugin handshake line: the host must fail to start it and
// say why.
package main

import (
	"context"
	"fmt"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

type verifier struct{}

func (verifier) Info() sdk.Info {
	return sdk.Info{
		Name:    "stub-noise",
		Version: "0.0.1",
		Kinds: []sdk.KindSchema{{
			Kind:        "stub",
			Description: "A test artifact (never reached: the handshake breaks).",
			Attributes: []sdk.Attribute{
				{Name: "path", Type: sdk.TypePath, Description: "Unused file path."},
				{Name: "behaviour", Type: sdk.TypeString, Description: "Unused."},
			},
		}},
	}
}

func (verifier) Verify(context.Context, *sdk.Request) (*sdk.Result, error) {
	return (&sdk.Result{Status: sdk.StatusPass}).Pass("stub", "stub artifact accepted"), nil
}

func main() {
	fmt.Println("hello from a noisy plugin")
	sdk.Serve(verifier{})
}
