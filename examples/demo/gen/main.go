// Command gen writes the vmafx-trust demo release: a trusted root from an
// in-memory test Sigstore, four signed artifacts (one tampered after
// signing) and a policy that checks them.
//
//	go run ./examples/demo/gen -out DIR
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("out", "", "directory to write the demo release into (created if missing)")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR")
		os.Exit(2)
	}
	if _, err := writeRelease(*out, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
