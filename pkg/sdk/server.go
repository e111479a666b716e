package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/internal/protocol"
)

// server is the plugin side of the protocol: it decodes the host's
// requests for the Verifier and encodes its answers, whether the host
// calls it over gRPC or inside its own process.
type server struct {
	pb.UnimplementedVerifierServer
	impl     Verifier
	mu       sync.RWMutex
	roots    map[string]*TrustRoot
	progress *progresshub.Hub
}

// newServer serves v, its progress reports going through hub (nil: a new
// one).
func newServer(v Verifier, hub *progresshub.Hub) *server {
	if hub == nil {
		hub = &progresshub.Hub{}
	}
	return &server{impl: v, roots: map[string]*TrustRoot{}, progress: hub}
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
		return nil, errors.New("plugin returned no result")
	}
	return resultToProto(res), nil
}

// Progress serves the host's stream of reports until the host cancels it.
func (s *server) Progress(_ *pb.ProgressRequest, stream pb.Verifier_ProgressServer) error {
	ch, unsubscribe := s.progress.Subscribe()
	defer unsubscribe()
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case p := <-ch:
			ev := &pb.ProgressEvent{Kind: p.Kind, Name: p.Name, Label: p.Label, Done: p.Done, Total: p.Total}
			if err := stream.Send(ev); err != nil {
				return err
			}
		}
	}
}

// newGRPCServer is a plugin process's gRPC server: message limits both
// ways, and a panic in any call (a plugin's Describe, say) becomes that
// call's error instead of ending the process.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts,
		grpc.MaxRecvMsgSize(protocol.MaxMessageSize), grpc.MaxSendMsgSize(protocol.MaxMessageSize),
		grpc.ChainUnaryInterceptor(recoverUnary))
	return grpc.NewServer(opts...)
}

func recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, &protocol.PanicError{Method: info.FullMethod, Value: p}
		}
	}()
	return handler(ctx, req)
}

// Safely runs f and returns its error, or a panic in it as an error. Wrap the
// body of every goroutine a plugin starts: the SDK recovers a panic in
// Verify itself, but not on other goroutines, where it would end the plugin
// process, or the host for a built-in served in process.
func Safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("plugin panicked: %v", p)
		}
	}()
	return f()
}
