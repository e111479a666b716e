// Package pluginclient is the host's client of a plugin, over gRPC to a
// plugin process (go-plugin) or inside the host's own process. It encodes
// the host's requests into the protocol's messages and decodes the
// plugin's answers; pkg/sdk is the other side.
package pluginclient

import (
	"context"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// Client is the host's view of a running plugin.
type Client interface {
	Describe(ctx context.Context) (sdk.Info, error)
	Configure(ctx context.Context, roots []sdk.TrustRoot) ([]sdk.Diagnostic, error)
	Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error)
	// Progress passes the plugin's progress reports to fn until ctx is done.
	Progress(ctx context.Context, fn func(Progress)) error
}

// Progress is the state of one transfer of one artifact's verification: a
// plugin reports it through sdk.Request.Progress, the host receives it
// through Client.Progress and shows large transfers on a terminal.
type Progress struct {
	Kind, Name string // the artifact
	Label      string // what moves, e.g. a file name
	Done       int64  // bytes so far (0 again when a transfer restarts)
	Total      int64  // expected bytes, -1 when unknown
}
