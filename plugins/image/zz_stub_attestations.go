package image

import (
	"context"
	"errors"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

type AttestationQuery struct {
	Ref                    string
	Platforms              string
	PredicateTypes         []string
	GitHubRepository       string
	Insecure               bool
	AllowReferenceMismatch bool
}
type PartAttestations struct {
	Name     string
	Digest   string
	Status   sdk.Status
	Reason   string
	Checks   []sdk.Check
	Found    []Attestation
	Looked   []string
	Unsigned []string
}
type Attestation struct {
	PredicateType string
	Statement     []byte
	Source        string
	Signer        string
	Evidence      sdk.Evidence
	ViaIndex      string
}

func (p *Plugin) Attestations(ctx context.Context, req *sdk.Request, q AttestationQuery) ([]PartAttestations, []sdk.Diagnostic, error) {
	return nil, nil, errors.New("stub")
}
