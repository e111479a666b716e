package sdk

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRequestDecode(t *testing.T) {
	type attrs struct {
		Path string   `json:"path"`
		N    int      `json:"n"`
		Tags []string `json:"tags"`
	}
	tests := []struct {
		name    string
		raw     json.RawMessage
		start   attrs
		want    attrs
		wantErr []string
	}{
		{name: "fills struct", raw: json.RawMessage(`{"path":"/a","n":3,"tags":["x"]}`), want: attrs{Path: "/a", N: 3, Tags: []string{"x"}}},
		{name: "unknown fields ignored", raw: json.RawMessage(`{"path":"/a","other":1}`), want: attrs{Path: "/a"}},
		{name: "empty attributes leave v alone", raw: nil, start: attrs{Path: "keep"}, want: attrs{Path: "keep"}},
		{name: "zero-length attributes leave v alone", raw: json.RawMessage{}, start: attrs{N: 9}, want: attrs{N: 9}},
		{name: "invalid json", raw: json.RawMessage(`{"path":`), wantErr: []string{"blob", `"lib"`, "decoding attributes"}},
		{name: "wrong type", raw: json.RawMessage(`{"n":"three"}`), wantErr: []string{"blob", `"lib"`, "decoding attributes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Kind: "blob", Name: "lib", Attributes: tt.raw}
			got := tt.start
			err := r.Decode(&got)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one")
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestResultHelpers(t *testing.T) {
	tests := []struct {
		name       string
		build      func() *Result
		wantStatus Status
		wantReason string
		wantChecks []Check
	}{
		{
			name:       "pass only records checks",
			build:      func() *Result { return (&Result{}).Pass("a", "1").Pass("b", "") },
			wantStatus: StatusUnknown,
			wantChecks: []Check{{Name: "a", OK: true, Detail: "1"}, {Name: "b", OK: true}},
		},
		{
			name:       "pass keeps an explicit status",
			build:      func() *Result { return (&Result{Status: StatusPass}).Pass("a", "") },
			wantStatus: StatusPass,
			wantChecks: []Check{{Name: "a", OK: true}},
		},
		{
			name:       "fail sets status and reason",
			build:      func() *Result { return (&Result{Status: StatusPass}).Pass("a", "").Fail("b", "wrong digest") },
			wantStatus: StatusFail, wantReason: "wrong digest",
			wantChecks: []Check{{Name: "a", OK: true}, {Name: "b", Detail: "wrong digest"}},
		},
		{
			name:       "first fail reason wins",
			build:      func() *Result { return (&Result{}).Fail("a", "first").Fail("b", "second") },
			wantStatus: StatusFail, wantReason: "first",
			wantChecks: []Check{{Name: "a", Detail: "first"}, {Name: "b", Detail: "second"}},
		},
		{
			name:       "existing reason kept",
			build:      func() *Result { return (&Result{Reason: "earlier"}).Fail("a", "later") },
			wantStatus: StatusFail, wantReason: "earlier",
			wantChecks: []Check{{Name: "a", Detail: "later"}},
		},
		{
			name:       "pass after fail keeps fail",
			build:      func() *Result { return (&Result{}).Fail("a", "bad").Pass("b", "") },
			wantStatus: StatusFail, wantReason: "bad",
			wantChecks: []Check{{Name: "a", Detail: "bad"}, {Name: "b", OK: true}},
		},
		{
			name:       "errorf formats and sets error",
			build:      func() *Result { return (&Result{}).Errorf("fetch", "GET %s: %d", "https://x", 503) },
			wantStatus: StatusError, wantReason: "GET https://x: 503",
			wantChecks: []Check{{Name: "fetch", Detail: "GET https://x: 503"}},
		},
		{
			name:       "errorf keeps first reason",
			build:      func() *Result { return (&Result{}).Fail("a", "first").Errorf("b", "second") },
			wantStatus: StatusError, wantReason: "first",
			wantChecks: []Check{{Name: "a", Detail: "first"}, {Name: "b", Detail: "second"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.build()
			if r.Status != tt.wantStatus {
				t.Errorf("status = %v, want %v", r.Status, tt.wantStatus)
			}
			if r.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", r.Reason, tt.wantReason)
			}
			if !reflect.DeepEqual(r.Checks, tt.wantChecks) {
				t.Errorf("checks = %+v, want %+v", r.Checks, tt.wantChecks)
			}
		})
	}
}

func TestResultWarn(t *testing.T) {
	r := &Result{}
	r.Warn("old format", "v0.1 bundle")
	want := []Diagnostic{{Severity: SeverityWarning, Summary: "old format", Detail: "v0.1 bundle"}}
	if !reflect.DeepEqual(r.Diagnostics, want) || r.Status != StatusUnknown {
		t.Errorf("after Warn: %+v", r)
	}
}

func TestStatusText(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{StatusPass, "pass"}, {StatusFail, "fail"}, {StatusError, "error"}, {StatusUnknown, "unknown"}, {Status(42), "unknown"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(map[string]Status{"s": tt.s})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); got != `{"s":"`+tt.want+`"}` {
			t.Errorf("json of %d = %s, want %q", int(tt.s), got, tt.want)
		}
	}
}
