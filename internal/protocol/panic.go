package protocol

import "fmt"

// PanicError is a panic in a plugin's call, reported as that call's error:
// by the plugin process's gRPC server and by the host for a plugin served
// in its process, in the same words.
type PanicError struct {
	Method string // the call's full gRPC method name
	Value  any    // what the plugin panicked with
}

func (e *PanicError) Error() string {
	return "plugin panicked in " + e.Method + ": " + fmt.Sprint(e.Value)
}
