// Command vmafx-trust-plugin-checksums is an example vmafx-trust verifier
// plugin, written only against the public SDK (pkg/sdk) and verification core
// (pkg/trust). It serves the artifact kind `checksum_file`: a file whose
// sha256 must be listed in a SHA256SUMS file that is itself signed with
// Sigstore.
//
// Build it as an executable named vmafx-trust-plugin-checksums and put it on
// the plugin path; see README.md. Running it by hand only prints go-plugin's
// "this binary is a plugin" notice: the vmafx-trust host starts it.
package main

import "github.com/vmafx/vmafx-trust/pkg/sdk"

func main() {
	// Serve performs the go-plugin handshake on stdout and serves Describe,
	// Configure and Verify over gRPC until the host kills the process. It
	// never returns. Nothing else in this program may write to stdout.
	sdk.Serve(&Verifier{})
}
