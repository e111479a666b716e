package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"

	pb "github.com/vmafx/vmafx-trust/pkg/sdk/internal/pluginv1"
)

// ServeInProcess serves v inside the calling process and returns the host's
// client for it. The plugin sees what it would see over gRPC: every request
// and result goes through the same protocol messages and conversions, and a
// panic in a call becomes that call's error. What it gives up is the wire
// (nothing is serialised) and process isolation: a panic on a goroutine of
// the plugin's own, or a runaway allocation, takes the host down with it.
// stop ends the plugin's progress reports; the client must not be used after.
func ServeInProcess(v Verifier) (c Client, stop func()) {
	s := &server{impl: v, roots: map[string]*TrustRoot{}, progress: &progressHub{}}
	done := make(chan struct{})
	var once sync.Once
	return &inProcess{s: s, done: done}, func() { once.Do(func() { close(done) }) }
}

// inProcess is the host's client of a plugin served by ServeInProcess.
type inProcess struct {
	s    *server
	done chan struct{}
}

// call runs one plugin call, turning a panic into its error as the gRPC
// server's interceptor does for a plugin process.
func call[T any](method string, f func() (T, error)) (resp T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			resp, err = zero, &panicError{method: method, value: p}
		}
	}()
	return f()
}

func (c *inProcess) Describe(ctx context.Context) (Info, error) {
	resp, err := call(pb.Verifier_Describe_FullMethodName, func() (*pb.DescribeResponse, error) {
		return c.s.Describe(ctx, &pb.DescribeRequest{})
	})
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(resp), nil
}

func (c *inProcess) Configure(ctx context.Context, roots []TrustRoot) ([]Diagnostic, error) {
	resp, err := call(pb.Verifier_Configure_FullMethodName, func() (*pb.ConfigureResponse, error) {
		return c.s.Configure(ctx, &pb.ConfigureRequest{TrustRoots: trustRootsToProto(roots)})
	})
	if err != nil {
		return nil, err
	}
	return diagnosticsFromProto(resp.GetDiagnostics()), nil
}

func (c *inProcess) Verify(ctx context.Context, req *Request) (*Result, error) {
	resp, err := call(pb.Verifier_Verify_FullMethodName, func() (*pb.VerifyResponse, error) {
		return c.s.Verify(ctx, requestToProto(req))
	})
	if err != nil {
		return nil, err
	}
	return resultFromProto(resp), nil
}

// Progress passes the plugin's reports to fn until ctx is done or the
// plugin is stopped.
func (c *inProcess) Progress(ctx context.Context, fn func(Progress)) error {
	ch, unsubscribe := c.s.progress.subscribe()
	defer unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.done:
			return errStopped
		case p := <-ch:
			fn(p)
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
			resp, err = nil, &panicError{method: info.FullMethod, value: p}
		}
	}()
	return handler(ctx, req)
}

type panicError struct {
	method string
	value  any
}

func (e *panicError) Error() string {
	return "plugin panicked in " + e.method + ": " + fmt.Sprint(e.value)
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
