package workloads

import (
	"errors"
	"strings"
	"testing"
)

const hex64 = "3f6f9a2b7c1d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef0"

func TestParseImageID(t *testing.T) {
	tests := []struct {
		in       string
		repo     string
		noDigest bool
		errSub   string
	}{
		{in: "ghcr.io/vmafx/vmafx@sha256:" + hex64, repo: "ghcr.io/vmafx/vmafx"},
		{in: "docker-pullable://ghcr.io/vmafx/vmafx@sha256:" + hex64, repo: "ghcr.io/vmafx/vmafx"},
		{in: "docker.io/library/nginx@sha256:" + hex64, repo: "index.docker.io/library/nginx"},
		{in: "nginx@sha256:" + hex64, repo: "index.docker.io/library/nginx"},
		{in: "127.0.0.1:5000/vmafx/cpu@sha256:" + hex64, repo: "127.0.0.1:5000/vmafx/cpu"},
		{in: "  localhost:5000/app@sha256:" + hex64 + "\n", repo: "localhost:5000/app"},
		{in: "sha256:" + hex64, noDigest: true, errSub: "a local image ID"},
		{in: "docker://sha256:" + hex64, noDigest: true},
		{in: "ghcr.io/vmafx/vmafx:1.4.0", noDigest: true},
		{in: "", errSub: "has not started"},
		{in: "ghcr.io/vmafx/vmafx@sha256:abc", errSub: "imageID"},
		{in: "ghcr.io/vmafx/vmafx@sha512:" + hex64 + hex64, errSub: "imageID"},
		{in: "UPPER/case@sha256:" + hex64, errSub: "imageID"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseImageID(tt.in)
			if tt.repo != "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.Repository != tt.repo || got.Digest != "sha256:"+hex64 || got.Ref() != tt.repo+"@sha256:"+hex64 {
					t.Fatalf("got %+v, want %s@sha256:%s", got, tt.repo, hex64)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %+v", got)
			}
			if errors.Is(err, ErrNoRepoDigest) != tt.noDigest {
				t.Errorf("error %v: ErrNoRepoDigest = %v, want %v", err, !tt.noDigest, tt.noDigest)
			}
			if !strings.Contains(err.Error(), tt.errSub) {
				t.Errorf("error %q lacks %q", err, tt.errSub)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	mk := func(block, ref string, patterns ...string) Rule {
		r, err := NewRule(block, ref, patterns)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rules := []Rule{
		mk("cpu", "ghcr.io/vmafx/vmafx:1.4.0", "ghcr.io/vmafx/*"),
		mk("gpu", "ghcr.io/vmafx/vmafx-gpu@sha256:"+hex64),
		mk("nginx", "nginx:1.27"),
		mk("mirror", "registry.internal:5000/mirror/base:1", "registry.internal:5000/mirror/*", "vmafx/*"),
	}
	for repo, want := range map[string]string{
		"ghcr.io/vmafx/vmafx":                        "cpu",
		"ghcr.io/vmafx/vmafx-gpu":                    "gpu", // its own ref wins over cpu's pattern
		"ghcr.io/vmafx/tools":                        "cpu",
		"ghcr.io/vmafx/tools/sub":                    "", // * stays within a segment
		"ghcr.io/other/vmafx":                        "",
		"index.docker.io/library/nginx":              "nginx",
		"index.docker.io/vmafx/cli":                  "mirror",
		"registry.internal:5000/mirror/base":         "mirror",
		"registry.internal:5000/mirror/x/y":          "",
		"registry.internal:5000/mirror/deep-looking": "mirror",
	} {
		if got := Match(rules, repo); got != want {
			t.Errorf("Match(%q) = %q, want %q", repo, got, want)
		}
	}
	if _, err := NewRule("bad", "ghcr.io/vmafx/vmafx", []string{"ghcr.io/[vmafx"}); err == nil {
		t.Error("a malformed pattern was accepted")
	}
	if _, err := NewRule("bad", "ghcr.io/vmafx/vmafx", []string{"ghcr.io/**"}); err == nil || !strings.Contains(err.Error(), "one path segment") {
		t.Errorf("** accepted or not explained: %v", err)
	}
	if _, err := NewRule("bad", "UPPER/case", nil); err == nil {
		t.Error("a malformed ref was accepted")
	}
}
