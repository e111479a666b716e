package report

import (
	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// Exit codes. docs/policy.md documents them; scripts and CI depend on the
// numbers.
const (
	ExitOK        = 0 // all verified
	ExitFailed    = 1 // some artifact failed verification
	ExitUsage     = 2 // usage or policy error, nothing run
	ExitUnchecked = 3 // some artifact could not be checked, none failed
)

// Summary counts results by status.
type Summary struct {
	Total    int `json:"total"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Errored  int `json:"errored"`
	ExitCode int `json:"exit_code"`
}

// Summarize counts results and derives the exit code: a failure outweighs
// an artifact that could not be checked, and a status the host does not
// know counts as could-not-check, never as a pass.
func Summarize(results []*host.Result) Summary {
	s := Summary{Total: len(results)}
	for _, r := range results {
		switch r.Status {
		case sdk.StatusPass:
			s.Passed++
		case sdk.StatusFail:
			s.Failed++
		default:
			s.Errored++
		}
	}
	switch {
	case s.Failed > 0:
		s.ExitCode = ExitFailed
	case s.Errored > 0:
		s.ExitCode = ExitUnchecked
	}
	return s
}
