package pluginclient

import (
	"context"
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// PluginSet is the go-plugin plugin set for each protocol version the host
// speaks; go-plugin dispenses a Client from it.
func PluginSet() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{sdk.ProtocolVersion: {protocol.PluginName: &grpcPlugin{}}}
}

// GRPCDialOptions raise the message limits on the host side.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(protocol.MaxMessageSize), grpc.MaxCallSendMsgSize(protocol.MaxMessageSize))}
}

// grpcPlugin is the host side of go-plugin's GRPCPlugin: it dispenses
// clients; plugins serve (sdk.Serve).
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (*grpcPlugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the host dispenses clients of plugins; it serves no verifier")
}

func (*grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &remote{c: pb.NewVerifierClient(c)}, nil
}

// remote is the Client of a plugin process.
type remote struct{ c pb.VerifierClient }

func (r *remote) Describe(ctx context.Context) (sdk.Info, error) {
	resp, err := r.c.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return sdk.Info{}, err
	}
	return infoFromProto(resp), nil
}

func (r *remote) Configure(ctx context.Context, roots []sdk.TrustRoot) ([]sdk.Diagnostic, error) {
	resp, err := r.c.Configure(ctx, &pb.ConfigureRequest{TrustRoots: trustRootsToProto(roots)})
	if err != nil {
		return nil, err
	}
	return diagnosticsFromProto(resp.GetDiagnostics()), nil
}

func (r *remote) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	resp, err := r.c.Verify(ctx, requestToProto(req))
	if err != nil {
		return nil, err
	}
	return resultFromProto(resp), nil
}

// Progress receives the plugin's reports and passes each to fn until ctx is
// done (nil) or the stream fails. A plugin that has no Progress (an older
// SDK, another implementation) answers with gRPC code Unimplemented.
func (r *remote) Progress(ctx context.Context, fn func(Progress)) error {
	stream, err := r.c.Progress(ctx, &pb.ProgressRequest{})
	if err != nil {
		return err
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		fn(progressFromProto(ev))
	}
}
