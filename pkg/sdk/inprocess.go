package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/internal/protocol"
)

// ServeInProcess serves v inside the calling process and returns the host's
// client for it. The plugin sees what it would see over gRPC: every request
// and result crosses as a message of the protocol, built by the same
// conversions as over gRPC, which copy what the sender holds (neither side
// shares memory with the other), and refused where gRPC would refuse it
// (strings must be valid UTF-8, messages are bounded by MaxMessageSize:
// checkWire); a call returns when its context ends whether or not the
// plugin does, and a panic in a call becomes that call's error. What it
// gives up is process isolation: a panic on a goroutine of the plugin's own
// (see Safely), a runaway allocation or a call that never returns stays in
// the host.
// stop ends the plugin's progress reports; the client must not be used after.
func ServeInProcess(v Verifier) (c Client, stop func()) {
	s := &server{impl: v, roots: map[string]*TrustRoot{}, progress: &progresshub.Hub{}}
	done := make(chan struct{})
	var once sync.Once
	return &inProcess{s: s, done: done}, func() { once.Do(func() { close(done) }) }
}

// inProcess is the host's client of a plugin served by ServeInProcess.
type inProcess struct {
	s    *server
	done chan struct{}
}

// call runs one plugin call with req, a message built for this call that
// owns its memory (the conversions in convert.go copy), and returns its
// answer, each checked as gRPC would check it. It returns when ctx ends even
// if the plugin has not (the plugin holds nothing of the host's), and a
// panic in the plugin is the call's error, as the gRPC server's interceptor
// makes it for a plugin process.
func call[Req, Resp proto.Message](ctx context.Context, method string, req Req, f func(context.Context, Req) (Resp, error)) (Resp, error) {
	var zero Resp
	if err := checkWire(req); err != nil {
		return zero, fmt.Errorf("%s: request: %w", method, err)
	}
	type answer struct {
		resp Resp
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		var a answer
		defer func() {
			if p := recover(); p != nil {
				a = answer{err: &protocol.PanicError{Method: method, Value: p}}
			}
			answered <- a
		}()
		resp, err := f(ctx, req)
		if err != nil {
			a.err = err
			return
		}
		if err := checkWire(resp); err != nil {
			a.err = fmt.Errorf("%s: response: %w", method, err)
			return
		}
		a.resp = resp
	}()
	select {
	case a := <-answered:
		return a.resp, a.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

func (c *inProcess) Describe(ctx context.Context) (Info, error) {
	resp, err := call(ctx, pb.Verifier_Describe_FullMethodName, &pb.DescribeRequest{}, c.s.Describe)
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(resp), nil
}

func (c *inProcess) Configure(ctx context.Context, roots []TrustRoot) ([]Diagnostic, error) {
	resp, err := call(ctx, pb.Verifier_Configure_FullMethodName, &pb.ConfigureRequest{TrustRoots: trustRootsToProto(roots)}, c.s.Configure)
	if err != nil {
		return nil, err
	}
	return diagnosticsFromProto(resp.GetDiagnostics()), nil
}

func (c *inProcess) Verify(ctx context.Context, req *Request) (*Result, error) {
	resp, err := call(ctx, pb.Verifier_Verify_FullMethodName, requestToProto(req), c.s.Verify)
	if err != nil {
		return nil, err
	}
	return resultFromProto(resp), nil
}

// Progress passes the plugin's reports to fn until ctx is done or the
// plugin is stopped.
func (c *inProcess) Progress(ctx context.Context, fn func(Progress)) error {
	ch, unsubscribe := c.s.progress.Subscribe()
	defer unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.done:
			return errStopped
		case p := <-ch:
			fn(Progress(p))
		}
	}
}

var errStopped = errors.New("in-process plugin stopped")

// newGRPCServer is the plugin side's gRPC server, in a process of its own or
// not: message limits both ways, and a panic in any call (a plugin's
// Describe, say) becomes that call's error instead of ending the process.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts,
		grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize),
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
