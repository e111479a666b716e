package main

import "testing"

func TestCommandName(t *testing.T) {
	for argv0, want := range map[string]string{
		"vmafx-trust":                           "vmafx-trust",
		"/usr/local/bin/vmafx-trust":            "vmafx-trust",
		"/home/u/.krew/bin/kubectl-vmafx_trust": "kubectl vmafx-trust",
		"kubectl-vmafx_trust":                   "kubectl vmafx-trust",
		"./bin/vmafx-trust-kubectl":             "vmafx-trust",
	} {
		if got := commandName(argv0); got != want {
			t.Errorf("commandName(%q) = %q, want %q", argv0, got, want)
		}
	}
}
