// Package realfixtures locates the genuine Sigstore and PyPI artifacts the
// tests read in place: ../shared/fixtures/real beside the clone, never copied
// into the repository. Only tests import it.
package realfixtures

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the fixtures directory. When it is missing the test fails in
// CI (which has ../shared beside the clone) and is skipped elsewhere.
func Dir(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("locating the repository: %v", err)
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "fixtures", "real")
	if _, err := os.Stat(filepath.Join(dir, "cases.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("fixtures missing at %s (CI has ../shared beside the clone): %v", dir, err)
		}
		t.Skipf("fixtures not found at %s", dir)
	}
	return dir
}

// moduleRoot is the nearest directory above the working directory (a test's
// package directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
