package sdk

import (
	"fmt"
	"strings"
)

// MaxEvidence is the most evidence one Result can return: a Result crosses
// to the host as one protocol message (MaxMessageSize), and the rest of it
// (checks, sources, reasons) is given a MiB.
const MaxEvidence = MaxMessageSize - 1<<20

// CheckEvidenceSize turns a result whose evidence (its own and its
// sub-results', which travel in the same message) cannot reach the host
// into "could not be checked", naming each piece's size: the protocol
// would refuse the whole answer with a less telling error. A plugin whose
// evidence may be large (an SBOM attestation bundle) calls it last.
func CheckEvidenceSize(res *Result) *Result {
	total := 0
	var parts []string
	count := func(evs []Evidence) {
		for _, ev := range evs {
			n := len(ev.Bundle) + len(ev.Signature) + len(ev.CertificatePEM) + len(ev.ChainPEM) + len(ev.TlogEntryJSON)
			for _, ts := range ev.RFC3161 {
				n += len(ts)
			}
			total += n
			parts = append(parts, fmt.Sprintf("%s: %d bytes", ev.Source, n))
		}
	}
	count(res.Evidence)
	for _, s := range res.SubResults {
		count(s.Evidence)
	}
	if total <= MaxEvidence {
		return res
	}
	res.Evidence = nil
	for i := range res.SubResults {
		res.SubResults[i].Evidence = nil
		res.SubResults[i].Status = StatusError
		res.SubResults[i].Reason = "the evidence is too large for the host to verify"
	}
	return res.Errorf("evidence", "the evidence is %d bytes (%s), more than the %d bytes a plugin may return to the host in one protocol message: the host cannot verify it", total, strings.Join(parts, ", "), MaxEvidence)
}
