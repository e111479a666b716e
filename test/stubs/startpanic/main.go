// Command startpanic is a test plugin that panics at start-up, before it
// serves anything. The host must fail to start it and show its stderr, which
// contains "stub start-up failure".
package main

import (
	"context"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

type verifier struct{}

func (verifier) Info() sdk.Info {
	return sdk.Info{
		Name:    "stub-startpanic",
		Version: "0.0.1",
		Kinds: []sdk.KindSchema{{
			Kind:        "stub",
			Description: "A test artifact (never reached: the plugin dies first).",
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

// startUp stands for a plugin's initialisation; this one always fails.
func startUp() {
	panic("stub start-up failure: stub-startpanic dies before serving, as told")
}

func main() {
	startUp()
	sdk.Serve(verifier{})
}
