// Command wrongproto is a test plugin that speaks plugin protocol version 99,
// which no host supports: it bypasses sdk.Serve and calls go-plugin directly
// with the protocol's handshake cookie but ProtocolVersion 99. The host
// (protocol 1 only) must reject it with a version error.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/vmafx/vmafx-trust/internal/protocol"
)

const wrongVersion = 99

// emptyPlugin is a gRPC plugin that registers no service: a v99 host would
// find nothing to call, but a v1 host never gets that far.
type emptyPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (emptyPlugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error { return nil }

func (emptyPlugin) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("stub-wrongproto: no client side")
}

func main() {
	go exitWithParent()
	hs := protocol.Handshake() // only the version differs
	hs.ProtocolVersion = wrongVersion
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: hs,
		VersionedPlugins: map[int]goplugin.PluginSet{
			wrongVersion: {protocol.PluginName: &emptyPlugin{}},
		},
		// Without a gRPC server go-plugin would fall back to net/rpc.
		GRPCServer: goplugin.DefaultGRPCServer,
	})
	os.Exit(0)
}

// exitWithParent ends the process when the host goes away without killing it
// (as sdk.Serve does for real plugins).
func exitWithParent() {
	parent := os.Getppid()
	for {
		time.Sleep(250 * time.Millisecond)
		if os.Getppid() != parent {
			os.Exit(1)
		}
	}
}
