// Command noise is a test plugin that writes to stdout before serving, which
// corrupts the go-plugin handshake line: the host must fail to start it and
// say why.
package main

import (
	"fmt"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

func main() {
	fmt.Println("hello from a noisy plugin")
	sdk.Serve(stubkit.Passing{Meta: stubkit.Info("stub-noise", "stub", "A test artifact (never reached: the handshake breaks).")})
}
