package sdk

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
)

// panickyInfo panics in Info and Verify.
type panickyInfo struct{}

func (panickyInfo) Info() Info { panic("info exploded") }

func (panickyInfo) Verify(context.Context, *Request) (*Result, error) { panic("verify exploded") }

// TestPluginProcessServerRecoversPanics: the gRPC server a plugin process
// serves with (Serve) turns a panic in any call into that call's error.
func TestPluginProcessServerRecoversPanics(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newGRPCServer(nil)
	pb.RegisterVerifierServer(s, newServer(panickyInfo{}, nil))
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// The host's end (internal/pluginclient) passes these errors on as they
	// are; the raw client keeps this test on the plugin side.
	c := pb.NewVerifierClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Describe(ctx, &pb.DescribeRequest{}); err == nil || !strings.Contains(err.Error(), "info exploded") {
		t.Fatalf("Describe error = %v, want the panic", err)
	}
	// The server still answers.
	if _, err := c.Configure(ctx, &pb.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure after a panic: %v", err)
	}
}

func TestSafely(t *testing.T) {
	sentinel := errors.New("registry said no")
	tests := []struct {
		name string
		f    func() error
		want string // "" = nil error
	}{
		{name: "nil", f: func() error { return nil }},
		{name: "error passes through", f: func() error { return sentinel }, want: "registry said no"},
		{name: "panic value", f: func() error { panic("index out of range") }, want: "plugin panicked: index out of range"},
		{name: "runtime error", f: func() error {
			var m map[string]int
			//lint:ignore SA5000 the runtime panic is what Safely must turn into an error
			m["x"] = 1
			return nil
		}, want: "plugin panicked: assignment to entry in nil map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Safely(tt.f)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if err := Safely(func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("the function's own error is not returned as is: %v", err)
	}
}
