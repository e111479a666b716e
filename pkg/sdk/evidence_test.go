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
