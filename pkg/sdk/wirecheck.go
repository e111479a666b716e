package sdk

import (
	"fmt"
	"reflect"
	"unicode/utf8"
)

// checkWire refuses what gRPC refuses to send, so that a built-in served in
// process (ServeInProcess) fails where it would fail over gRPC: a string
// field that is not valid UTF-8 (proto3 strings must be), or a message
// larger than MaxMessageSize, counted as the bytes of its strings and byte
// fields (its encoded size adds a few bytes per field for tags and lengths).
//
// It walks the generated message's exported fields with Go's reflection:
// protobuf's own (proto.Marshal) builds the protocol's descriptors and
// coders the first time, ~0.5 ms of every run's start-up, for messages
// that never leave the process.
func checkWire(m any) error {
	var size int
	if err := walkWire(reflect.ValueOf(m), reflect.TypeOf(m).String(), &size); err != nil {
		return err
	}
	if size > MaxMessageSize {
		return fmt.Errorf("message of %d bytes is larger than the %d allowed", size, MaxMessageSize)
	}
	return nil
}

func walkWire(v reflect.Value, path string, size *int) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkWire(v.Elem(), path, size)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				if err := walkWire(v.Field(i), path+"."+f.Name, size); err != nil {
					return err
				}
			}
		}
	case reflect.String:
		*size += v.Len()
		if !utf8.ValidString(v.String()) {
			return fmt.Errorf("string field %s contains invalid UTF-8", path)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			*size += v.Len()
			return nil
		}
		for i := range v.Len() {
			if err := walkWire(v.Index(i), path, size); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := walkWire(it.Key(), path, size); err != nil {
				return err
			}
			if err := walkWire(it.Value(), path, size); err != nil {
				return err
			}
		}
	}
	return nil
}
