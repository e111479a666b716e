// Command opaque is a test plugin for a non-Sigstore mechanism: it declares
// its evidence opaque and passes (or, with behaviour "fail", fails) without
// returning evidence. When VMAFX_TRUST_STUB_MARK names a file, it creates it
// on start, so tests can tell whether the host ran it at all.
package main

import (
	"context"
	"os"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

type verifier struct{}

func (verifier) Info() sdk.Info {
	info := stubkit.Info("stub-opaque", "opaquestub", "A test artifact checked by a mechanism the host cannot verify.")
	info.OpaqueEvidence = true
	return info
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	a, err := stubkit.Decode(req)
	if err != nil {
		return nil, err
	}
	res := &sdk.Result{Status: sdk.StatusPass}
	if a.Behaviour == "fail" {
		return res.Fail("mechanism", "the opaque mechanism rejected it"), nil
	}
	return res.Pass("mechanism", "the opaque mechanism accepted it"), nil
}

func main() {
	if mark := os.Getenv("VMAFX_TRUST_STUB_MARK"); mark != "" {
		if f, err := os.Create(mark); err == nil {
			f.Close()
		}
	}
	sdk.Serve(verifier{})
}
