// Command startpanic is a test plugin that panics at start-up, before it
// serves anything. The host must fail to start it and show its stderr, which
// contains "stub start-up failure".
package main

import (
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

func startUp() {
	panic("stub start-up failure: stub-startpanic dies before serving, as told")
}

func main() {
	startUp()
	sdk.Serve(stubkit.Passing{Meta: stubkit.Info("stub-startpanic", "stub", "A test artifact (never reached: the plugin dies first).")})
}
