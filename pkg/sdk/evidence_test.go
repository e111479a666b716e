package sdk

import (
	"fmt"
	"strings"
	"testing"
)

// TestCheckEvidenceSize: evidence up to MaxEvidence passes on, one byte more
// (in the result or its sub-results) makes the result "could not be
// checked" without evidence.
func TestCheckEvidenceSize(t *testing.T) {
	half := MaxEvidence / 2
	for _, tt := range []struct {
		sizes []int
		sub   int // bytes of evidence in a sub-result
		ok    bool
	}{
		{sizes: []int{1000}, ok: true},
		{sizes: []int{MaxEvidence}, ok: true},
		{sizes: []int{half, MaxEvidence - half}, ok: true},
		{sizes: []int{half}, sub: MaxEvidence - half, ok: true},
		{sizes: []int{MaxEvidence + 1}},
		{sizes: []int{half, MaxEvidence - half + 1}},
		{sizes: []int{half}, sub: MaxEvidence - half + 1},
	} {
		res := &Result{Status: StatusPass}
		for i, n := range tt.sizes {
			res.Evidence = append(res.Evidence, Evidence{Type: EvidenceBundle, Bundle: make([]byte, n), Source: fmt.Sprintf("b%d", i)})
		}
		if tt.sub > 0 {
			res.SubResults = []SubResult{{Name: "p", Status: StatusPass, Evidence: []Evidence{{Type: EvidenceBundle, Bundle: make([]byte, tt.sub), Source: "s"}}}}
		}
		got := CheckEvidenceSize(res)
		if tt.ok != (got.Status == StatusPass && len(got.Evidence) == len(tt.sizes)) {
			t.Errorf("sizes %v + %d: status %s, %d evidence (%s)", tt.sizes, tt.sub, got.Status, len(got.Evidence), got.Reason)
		}
		if !tt.ok {
			if got.Status != StatusError || !strings.Contains(got.Reason, "b0: ") {
				t.Errorf("sizes %v + %d: status %s, reason %q; want error naming each piece", tt.sizes, tt.sub, got.Status, got.Reason)
			}
			for _, s := range got.SubResults {
				if s.Status != StatusError || len(s.Evidence) != 0 {
					t.Errorf("sub-result %s still %s with %d evidence", s.Name, s.Status, len(s.Evidence))
				}
			}
		}
	}
}

// TestSummarizeParts: a failed part fails the whole, else a part that
// could not be checked makes the whole so; each such part is named once.
func TestSummarizeParts(t *testing.T) {
	for _, tt := range []struct {
		name   string
		parts  []SubResult
		want   Status
		reason string
	}{
		{"all pass", []SubResult{{Name: "a", Status: StatusPass}, {Name: "b", Status: StatusPass}}, StatusPass, ""},
		{"fail beats error", []SubResult{{Name: "a", Status: StatusError, Reason: "timeout"}, {Name: "b", Status: StatusFail, Reason: "unsigned"}}, StatusFail, "1 of 2 part(s) failed: b: unsigned"},
		{"error", []SubResult{{Name: "a", Status: StatusPass}, {Name: "b", Status: StatusError, Reason: "timeout"}}, StatusError, "1 of 2 part(s) could not be checked: b: timeout"},
		{"name given once", []SubResult{{Name: "linux/arm64", Status: StatusFail, Reason: "linux/arm64: no SBOM"}}, StatusFail, "1 of 1 part(s) failed: linux/arm64: no SBOM"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := (&Result{Status: StatusPass, SubResults: tt.parts}).SummarizeParts("platforms", "all verified")
			if r.Status != tt.want || r.Reason != tt.reason {
				t.Fatalf("status %s %q, want %s %q", r.Status, r.Reason, tt.want, tt.reason)
			}
			if last := r.Checks[len(r.Checks)-1]; last.Name != "platforms" || last.OK != (tt.want == StatusPass) {
				t.Errorf("check %+v", last)
			}
		})
	}
}
