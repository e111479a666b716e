package pluginclient

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/vmafx/vmafx-trust/internal/protocol"
)

// checkWire refuses what gRPC refuses to send, so that a built-in served in
// process (ServeInProcess) fails where it would fail over gRPC: a string
// field that is not valid UTF-8 (proto3 strings must be), or a message
// whose encoding is larger than protocol.MaxMessageSize.
//
// It walks the generated message's exported fields with Go's reflection:
// protobuf's own (proto.Marshal, proto.Size) builds the protocol's
// descriptors and coders the first time, ~0.5 ms of every run's start-up,
// for messages that never leave the process. The walk bounds the encoded
// size from above (the bytes of strings and byte fields, plus what a tag
// and a length or number can take for every value); only a message that
// bound cannot clear is measured exactly, with proto.Size.
func checkWire(m proto.Message) error {
	var w wireWalk
	if err := w.walk(reflect.ValueOf(m), reflect.TypeOf(m).String()); err != nil {
		return err
	}
	if w.content+maxValueOverhead*w.values <= protocol.MaxMessageSize {
		return nil
	}
	if n := proto.Size(m); n > protocol.MaxMessageSize {
		return fmt.Errorf("message of %d bytes is larger than the %d allowed", n, protocol.MaxMessageSize)
	}
	return nil
}

// maxValueOverhead is the most a value adds to an encoding besides its
// string or bytes content: a tag of a field numbered under 2048 (2 bytes)
// and a length or varint number (10).
const maxValueOverhead = 12

type wireWalk struct {
	content int // bytes of strings and byte fields
	values  int // values walked (fields, elements, map keys and values)
}

func (w *wireWalk) walk(v reflect.Value, path string) error {
	w.values++
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.walk(v.Elem(), path)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				if err := w.walk(v.Field(i), path+"."+f.Name); err != nil {
					return err
				}
			}
		}
	case reflect.String:
		w.content += v.Len()
		if !utf8.ValidString(v.String()) {
			return fmt.Errorf("string field %s contains invalid UTF-8", path)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			w.content += v.Len()
			return nil
		}
		for i := range v.Len() {
			if err := w.walk(v.Index(i), path); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := w.walk(it.Key(), path); err != nil {
				return err
			}
			if err := w.walk(it.Value(), path); err != nil {
				return err
			}
		}
	}
	return nil
}
