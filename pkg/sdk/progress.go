package sdk

import (
	"context"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
)

// Progress is the state of one transfer of one artifact's verification: a
// plugin reports it through Request.Progress, the host receives it through
// Client.Progress and shows large transfers on a terminal.
type Progress struct {
	Kind, Name string // the artifact
	Label      string // what moves, e.g. a file name
	Done       int64  // bytes so far (0 again when a transfer restarts)
	Total      int64  // expected bytes, -1 when unknown
}

// Progress returns the function a plugin calls while it transfers something
// large for this artifact, with the bytes done so far and the expected total
// (-1 when unknown); label says what moves ("libvmaf.so"). The host shows
// large transfers as a progress bar when its error output is a terminal. The
// function matches fetch.Options.Progress, is safe for concurrent use, sends
// at most ten reports a second (and always the one that completes the
// transfer), and does nothing when no host listens.
func (r *Request) Progress(label string) func(done, total int64) {
	if r.progress == nil {
		return func(int64, int64) {}
	}
	return r.progress.Reporter(r.Kind, r.Name, label)
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
		fn(Progress{Kind: ev.GetKind(), Name: ev.GetName(), Label: ev.GetLabel(), Done: ev.GetDone(), Total: ev.GetTotal()})
	}
}
