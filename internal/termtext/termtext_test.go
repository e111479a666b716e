package termtext

import "testing"

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"naïve – ünïcode ✓ 漢字", "naïve – ünïcode ✓ 漢字"},
		{"\x1b[32mPASS\x1b[0m", `\x1b[32mPASS\x1b[0m`},
		{"FAIL\rPASS", `FAIL\x0dPASS`},
		{"line1\nline2", `line1\x0aline2`},
		{"tab\there", `tab\x09here`},
		{"bell\a", `bell\x07`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"iso \u2066x\u2069", `iso \u2066x\u2069`},
		{"invalid \xff utf-8", "invalid \ufffd utf-8"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanLines(t *testing.T) {
	in := "first \x1b]0;title\x07\r\nsecond\n"
	want := "first \\x1b]0;title\\x07\nsecond\n"
	if got := CleanLines(in); got != want {
		t.Errorf("CleanLines(%q) = %q, want %q", in, got, want)
	}
}
