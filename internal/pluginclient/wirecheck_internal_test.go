package pluginclient

import (
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// filler populates every field of a message (lists with two elements, maps
// with two entries, nested messages to a depth) and counts the strings it
// writes: the one numbered bad, if any, is not valid UTF-8.
type filler struct {
	n, bad int
}

func (f *filler) str() string {
	f.n++
	if f.n-1 == f.bad {
		return "bad \xff\xfe"
	}
	return "ok"
}

func (f *filler) scalar(fd protoreflect.FieldDescriptor, m protoreflect.Message, i int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(f.str())
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{0xff, byte(i)})
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(1)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(i + 1))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(i + 1))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(i + 1))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(i + 1))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(1)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		sub := m.NewField(fd).Message()
		f.fill(sub, 0)
		return protoreflect.ValueOfMessage(sub)
	}
	panic("kind " + fd.Kind().String())
}

func (f *filler) fill(m protoreflect.Message, depth int) {
	if depth > 4 {
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for j := range 2 {
				key := protoreflect.ValueOfString(f.str() + string(rune('a'+j))).MapKey()
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					sub := mp.NewValue()
					f.fill(sub.Message(), depth+1)
					mp.Set(key, sub)
				} else {
					mp.Set(key, f.scalar(fd.MapValue(), m, j))
				}
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for j := range 2 {
				if fd.Kind() == protoreflect.MessageKind {
					sub := l.NewElement()
					f.fill(sub.Message(), depth+1)
					l.Append(sub)
				} else {
					l.Append(f.scalar(fd, m, j))
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			sub := m.Mutable(fd).Message()
			f.fill(sub, depth+1)
		default:
			m.Set(fd, f.scalar(fd, m, 0))
		}
	}
}

// TestCheckWireLikeMarshal: for every message of the protocol, with every
// field set, checkWire refuses invalid UTF-8 in exactly the string places
// where protobuf's marshalling (what gRPC sends with) refuses it, so every
// string field added to the protocol is covered; and it accepts the
// message otherwise.
func TestCheckWireLikeMarshal(t *testing.T) {
	msgs := pb.File_vmafx_plugin_v1_plugin_proto.Messages()
	if msgs.Len() < 10 {
		t.Fatalf("only %d messages in the protocol", msgs.Len())
	}
	for i := range msgs.Len() {
		md := msgs.Get(i)
		mt := protoregistryType(t, md)
		build := func(bad int) (proto.Message, int) {
			m := mt.New()
			f := &filler{bad: bad}
			f.fill(m, 0)
			return m.Interface(), f.n
		}
		good, strs := build(-1)
		if _, err := proto.Marshal(good); err != nil {
			t.Fatalf("%s: %v", md.FullName(), err)
		}
		if err := checkWire(good); err != nil {
			t.Errorf("%s with every field set: %v", md.FullName(), err)
		}
		for bad := range strs {
			m, _ := build(bad)
			_, marshalErr := proto.Marshal(m)
			checkErr := checkWire(m)
			if (marshalErr != nil) != (checkErr != nil) {
				t.Errorf("%s, string %d of %d invalid: marshal error %v, checkWire error %v", md.FullName(), bad+1, strs, marshalErr, checkErr)
			}
			if checkErr != nil && !strings.Contains(checkErr.Error(), "invalid UTF-8") {
				t.Errorf("%s: %v", md.FullName(), checkErr)
			}
		}
	}
}

// protoregistryType is the generated Go type of md: checkWire walks Go
// structs.
func protoregistryType(t *testing.T, md protoreflect.MessageDescriptor) protoreflect.MessageType {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatalf("%s: %v", md.FullName(), err)
	}
	return mt
}

// TestCheckWireSizeLikeProtoSize: checkWire refuses a message exactly when
// its encoding is larger than MaxMessageSize, at the boundary, and also when
// its strings and bytes alone would fit but tags and lengths do not.
func TestCheckWireSizeLikeProtoSize(t *testing.T) {
	buf := make([]byte, protocol.MaxMessageSize+16)
	for _, l := range []int{1 << 20, protocol.MaxMessageSize - 64, protocol.MaxMessageSize - 16, protocol.MaxMessageSize - 12, protocol.MaxMessageSize - 8, protocol.MaxMessageSize - 4, protocol.MaxMessageSize, protocol.MaxMessageSize + 1} {
		m := &pb.VerifyResponse{Status: pb.Status(sdk.StatusPass), Evidence: []*pb.Evidence{{Bundle: buf[:l], Source: "dist/x.sigstore.json"}}}
		fits := proto.Size(m) <= protocol.MaxMessageSize
		if err := checkWire(m); (err == nil) != fits {
			t.Errorf("bundle of %d bytes (encoded %d): checkWire %v, want fits=%v", l, proto.Size(m), err, fits)
		}
	}

	// Many checks whose names fit but whose encoding does not.
	name := strings.Repeat("n", 1000)
	count := protocol.MaxMessageSize / len(name)
	checks := make([]*pb.Check, count)
	for i := range checks {
		checks[i] = &pb.Check{Name: name}
	}
	m := &pb.VerifyResponse{Checks: checks}
	if proto.Size(m) <= protocol.MaxMessageSize {
		t.Fatalf("test message encodes to %d bytes, want more than %d", proto.Size(m), protocol.MaxMessageSize)
	}
	if err := checkWire(m); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("%d checks of %d-byte names (encoded %d): checkWire %v, want refused", count, len(name), proto.Size(m), err)
	}
	// A twentieth less fits, though not within checkWire's upper bound: it
	// is measured.
	m.Checks = checks[:count*95/100]
	var w wireWalk
	if err := w.walk(reflect.ValueOf(m), ""); err != nil || w.content+maxValueOverhead*w.values <= protocol.MaxMessageSize || proto.Size(m) > protocol.MaxMessageSize {
		t.Fatalf("test message: bound %d, encoded %d (%v): want the bound over %d and the encoding within", w.content+maxValueOverhead*w.values, proto.Size(m), err, protocol.MaxMessageSize)
	}
	if err := checkWire(m); err != nil {
		t.Errorf("%d checks (encoded %d): %v", len(m.Checks), proto.Size(m), err)
	}
}
