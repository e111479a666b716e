package protocol

import "maps"

// The conversions to messages, on either side, copy what the sender holds
// by reference (bytes, lists of bytes, maps), on the sender's goroutine: a
// message owns its memory from the moment it is built, whatever the sender
// does next. For a plugin served in process (pluginclient.ServeInProcess)
// the message itself is what the other side reads, so nothing is shared
// between host and plugin. The copies are what decoding from the wire
// gives: an empty bytes field or map is nil, an element of a list of bytes
// is never nil.

// CloneBytes copies b for a bytes field.
func CloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// CloneBytesList copies l for a repeated bytes field.
func CloneBytesList(l [][]byte) [][]byte {
	if len(l) == 0 {
		return nil
	}
	out := make([][]byte, len(l))
	for i, b := range l {
		out[i] = append([]byte{}, b...)
	}
	return out
}

// CloneMap copies m for a map field.
func CloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
