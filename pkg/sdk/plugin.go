package sdk

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/protocol"
)

// Verifier is what a plugin implements.
type Verifier interface {
	// Info describes the plugin and the kinds it serves. It is called once.
	Info() Info
	// Verify checks one artifact. A verdict (pass, fail, could not check) is
	// a Result; an error means the plugin itself failed.
	Verify(ctx context.Context, req *Request) (*Result, error)
}

// ServeOption changes how Serve runs a plugin.
type ServeOption func(*protocol.ServeConfig)

// WithLogger makes l the logger of the plugin machinery (go-plugin) in the
// plugin process, in place of JSON lines on stderr at level Warn: a more
// verbose level shows the handshake and the connection, e.g. while
// debugging a plugin that does not start. The host keeps what a plugin
// writes to stderr and shows its end when the plugin fails.
func WithLogger(l hclog.Logger) ServeOption {
	return func(c *protocol.ServeConfig) { c.Logger = l }
}

// Serve runs v as a plugin process: it performs the go-plugin handshake on
// stdout and serves until the host goes away. It never returns normally.
// Plugins must not write to stdout; log to stderr (hclog) instead.
func Serve(v Verifier, opts ...ServeOption) {
	var cfg protocol.ServeConfig
	for _, o := range opts {
		o(&cfg)
	}
	s := newServer(v, cfg.Progress)
	if cfg.InProcess != nil {
		cfg.InProcess(s)
		return
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: os.Stderr, Level: hclog.Warn, JSONFormat: true})
	}
	go exitWithParent()
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: protocol.Handshake(),
		VersionedPlugins: map[int]goplugin.PluginSet{
			ProtocolVersion: {protocol.PluginName: &grpcPlugin{server: s}},
		},
		GRPCServer: newGRPCServer,
		Logger:     logger,
	})
	os.Exit(0)
}

// grpcPlugin is the plugin side of go-plugin's GRPCPlugin: it serves the
// verifier; the host side dispenses clients (internal/pluginclient).
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	server pb.VerifierServer
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterVerifierServer(s, p.server)
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("a plugin serves the verifier; it dispenses no client")
}

// exitWithParent ends the plugin when the host dies without killing it
// (e.g. SIGKILL): the process is then re-parented and its parent pid changes.
func exitWithParent() {
	parent := os.Getppid()
	for {
		time.Sleep(250 * time.Millisecond)
		if os.Getppid() != parent {
			os.Exit(1)
		}
	}
}
