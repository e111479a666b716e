package sdk

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/internal/protocol"
)

// Handshake is the go-plugin handshake shared by host and plugins.
var Handshake = protocol.Handshake()

// PluginName is the name under which the verifier service is dispensed.
const PluginName = protocol.PluginName

// MaxMessageSize bounds a gRPC message either way.
const MaxMessageSize = protocol.MaxMessageSize

// Verifier is what a plugin implements.
type Verifier interface {
	// Info describes the plugin and the kinds it serves. It is called once.
	Info() Info
	// Verify checks one artifact. A verdict (pass, fail, could not check) is
	// a Result; an error means the plugin itself failed.
	Verify(ctx context.Context, req *Request) (*Result, error)
}

// Client is the host's view of a running plugin.
type Client interface {
	Describe(ctx context.Context) (Info, error)
	Configure(ctx context.Context, roots []TrustRoot) ([]Diagnostic, error)
	Verify(ctx context.Context, req *Request) (*Result, error)
	// Progress passes the plugin's progress reports to fn until ctx is done.
	Progress(ctx context.Context, fn func(Progress)) error
}

// grpcPlugin adapts Verifier to go-plugin's GRPCPlugin.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impl     Verifier
	progress *progresshub.Hub // nil: a new one
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	hub := p.progress
	if hub == nil {
		hub = &progresshub.Hub{}
	}
	pb.RegisterVerifierServer(s, &server{impl: p.impl, roots: map[string]*TrustRoot{}, progress: hub})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &remote{c: pb.NewVerifierClient(c)}, nil
}

// PluginSet is the go-plugin plugin set for a given protocol version; the
// host uses it to dispense clients.
func PluginSet() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{ProtocolVersion: {PluginName: &grpcPlugin{}}}
}

// GRPCDialOptions raise the message limits on the host side.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize))}
}

type server struct {
	pb.UnimplementedVerifierServer
	impl     Verifier
	mu       sync.RWMutex
	roots    map[string]*TrustRoot
	progress *progresshub.Hub
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	info := s.impl.Info()
	info.ProtocolVersions = []int{ProtocolVersion}
	return infoToProto(info), nil
}

func (s *server) Configure(_ context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	roots := trustRootsFromProto(req.GetTrustRoots())
	s.mu.Lock()
	s.roots = roots
	s.mu.Unlock()
	return &pb.ConfigureResponse{}, nil
}

func (s *server) Verify(ctx context.Context, req *pb.VerifyRequest) (resp *pb.VerifyResponse, err error) {
	s.mu.RLock()
	r := requestFromProto(req, s.roots)
	s.mu.RUnlock()
	r.progress = s.progress
	if req.GetTrustRoot() != "" && r.TrustRoot == nil {
		return resultToProto((&Result{}).Errorf("trust root", "trust root %q was not configured", req.GetTrustRoot())), nil
	}
	if !r.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, r.Deadline)
		defer cancel()
	}
	defer func() {
		// A panic in one verification must not kill the plugin for every
		// other artifact: report it as this artifact's error.
		if p := recover(); p != nil {
			resp = resultToProto((&Result{}).Errorf("plugin", "plugin panicked: %v", p))
			err = nil
		}
	}()
	res, err := s.impl.Verify(ctx, r)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("plugin returned no result")
	}
	return resultToProto(res), nil
}

type remote struct{ c pb.VerifierClient }

func (r *remote) Describe(ctx context.Context) (Info, error) {
	resp, err := r.c.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(resp), nil
}

func (r *remote) Configure(ctx context.Context, roots []TrustRoot) ([]Diagnostic, error) {
	resp, err := r.c.Configure(ctx, &pb.ConfigureRequest{TrustRoots: trustRootsToProto(roots)})
	if err != nil {
		return nil, err
	}
	return diagnosticsFromProto(resp.GetDiagnostics()), nil
}

func (r *remote) Verify(ctx context.Context, req *Request) (*Result, error) {
	resp, err := r.c.Verify(ctx, requestToProto(req))
	if err != nil {
		return nil, err
	}
	return resultFromProto(resp), nil
}

// Serve runs v as a plugin process: it performs the go-plugin handshake on
// stdout and serves until the host goes away. It never returns normally.
// Plugins must not write to stdout; log to stderr (hclog) instead.
func Serve(v Verifier) {
	go exitWithParent()
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{
			ProtocolVersion: {PluginName: &grpcPlugin{impl: v}},
		},
		GRPCServer: newGRPCServer,
		Logger:     hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: os.Stderr, Level: hclog.Warn, JSONFormat: true}),
	})
	os.Exit(0)
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
