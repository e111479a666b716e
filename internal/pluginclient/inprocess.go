package pluginclient

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// ServeInProcess serves v inside the calling process and returns the host's
// client for it. The plugin sees what it would see over gRPC: every request
// and result crosses as a message of the protocol, built by the same
// conversions as over gRPC, which copy what the sender holds (neither side
// shares memory with the other), and refused where gRPC would refuse it
// (strings must be valid UTF-8, messages are bounded by
// protocol.MaxMessageSize: checkWire); a call returns when its context ends
// whether or not the plugin does, and a panic in a call becomes that call's
// error. What it gives up is process isolation: a panic on a goroutine of
// the plugin's own (see sdk.Safely), a runaway allocation or a call that
// never returns stays in the host.
// stop ends the plugin's progress reports; the client must not be used after.
func ServeInProcess(v sdk.Verifier) (c Client, stop func()) {
	return serveInProcess(v, nil)
}

// serveInProcess is ServeInProcess with the server's progress hub given
// (nil: a new one).
func serveInProcess(v sdk.Verifier, hub *progresshub.Hub) (Client, func()) {
	c := &inProcess{s: newServer(v, hub)}
	c.stopped, c.stop = context.WithCancel(context.Background())
	return c, c.stop
}

// newServer is the plugin side's server for v, built by sdk.Serve, with its
// progress reports going through hub (nil: a new one).
func newServer(v sdk.Verifier, hub *progresshub.Hub) pb.VerifierServer {
	var s pb.VerifierServer
	sdk.Serve(v, func(cfg *protocol.ServeConfig) {
		cfg.InProcess = func(srv pb.VerifierServer) { s = srv }
		cfg.Progress = hub
	})
	return s
}

// inProcess is the host's client of a plugin served by ServeInProcess: it
// calls the plugin's server directly.
type inProcess struct {
	s       pb.VerifierServer
	stopped context.Context // done once the plugin is stopped
	stop    context.CancelFunc
}

// call runs one plugin call with req, a message built for this call that
// owns its memory (the conversions copy), and returns its answer, each
// checked as gRPC would check it. It returns when ctx ends even if the
// plugin has not (the plugin holds nothing of the host's), and a panic in
// the plugin is the call's error, as the gRPC server's interceptor makes it
// for a plugin process.
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

func (c *inProcess) Describe(ctx context.Context) (sdk.Info, error) {
	resp, err := call(ctx, pb.Verifier_Describe_FullMethodName, &pb.DescribeRequest{}, c.s.Describe)
	if err != nil {
		return sdk.Info{}, err
	}
	return infoFromProto(resp), nil
}

func (c *inProcess) Configure(ctx context.Context, roots []sdk.TrustRoot) ([]sdk.Diagnostic, error) {
	resp, err := call(ctx, pb.Verifier_Configure_FullMethodName, &pb.ConfigureRequest{TrustRoots: trustRootsToProto(roots)}, c.s.Configure)
	if err != nil {
		return nil, err
	}
	return diagnosticsFromProto(resp.GetDiagnostics()), nil
}

func (c *inProcess) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	resp, err := call(ctx, pb.Verifier_Verify_FullMethodName, requestToProto(req), c.s.Verify)
	if err != nil {
		return nil, err
	}
	return resultFromProto(resp), nil
}

// Progress passes the plugin's reports to fn until ctx is done (nil) or the
// plugin is stopped (errStopped). The plugin's server streams them to a
// stream whose context ends with either.
func (c *inProcess) Progress(ctx context.Context, fn func(Progress)) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.stopped, cancel)()
	if err := c.s.Progress(&pb.ProgressRequest{}, &progressStream{ctx: sctx, fn: fn}); err != nil {
		return fmt.Errorf("%s: %w", pb.Verifier_Progress_FullMethodName, err)
	}
	if ctx.Err() != nil {
		return nil
	}
	return errStopped
}

var errStopped = errors.New("in-process plugin stopped")

// progressStream is the in-process end of the plugin's Progress stream: it
// passes each report to fn as it is sent. The server only sends and waits
// for the stream's end; it sets no metadata and receives nothing.
type progressStream struct {
	ctx context.Context
	fn  func(Progress)
}

func (s *progressStream) Send(ev *pb.ProgressEvent) error {
	s.fn(progressFromProto(ev))
	return nil
}

func (s *progressStream) Context() context.Context { return s.ctx }

func (s *progressStream) SendMsg(m any) error {
	ev, ok := m.(*pb.ProgressEvent)
	if !ok {
		return fmt.Errorf("progress stream: cannot send %T", m)
	}
	return s.Send(ev)
}

func (*progressStream) RecvMsg(any) error {
	return errors.New("progress stream: the plugin receives nothing on it")
}

func (*progressStream) SetHeader(metadata.MD) error  { return nil }
func (*progressStream) SendHeader(metadata.MD) error { return nil }
func (*progressStream) SetTrailer(metadata.MD)       {}
