package trust

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// jsonScan checks JSON held in memory in one pass, building nothing. It
// vouches for a document only when protojson and encoding/json would accept
// it too, so that the fast paths built on it (the statement header, the
// long strings taken out of bundles and legacy bundles) can stand in for
// them: any input it does not vouch for goes to protojson or encoding/json
// itself, which then decides and explains. A false from it therefore means
// "not vouched for", never "invalid".
//
// It accepts RFC 8259 JSON with these refinements, each one protojson's:
// strings are valid UTF-8; a \u escape of a UTF-16 surrogate is half of a
// high-low pair; literals and numbers end at a delimiter. With values set it
// also applies what protojson requires of google.protobuf.Value and Struct,
// the type of an in-toto predicate: no two keys of an object are equal, and
// every number is a float64 (strconv.ParseFloat does not overflow). It does
// not vouch for keys with escapes there (protojson compares keys decoded),
// nor for nesting past scanMaxDepth (protojson's own limit is near 10,000,
// encoding/json's, which sigstore-go also applies to statements, 10,000).
//
// The SBOM plugin's jsonstream decoder is not used here: it reads from an
// io.Reader through a buffer, decodes lone surrogates to U+FFFD as
// encoding/json does, and leaves duplicate keys to its caller, where this
// scan must agree with protojson exactly on input that is all in memory.
type jsonScan struct {
	data   []byte
	pos    int
	values bool     // google.protobuf.Value rules: unique keys, float64 numbers
	keys   [][]byte // keys of the open objects, innermost last (with values)
	sets   []map[string]struct{}
}

// scanMaxDepth bounds the nesting jsonScan vouches for. Real statements and
// bundles nest a few dozen levels; deeper input is left to protojson.
const scanMaxDepth = 1000

// linearKeys is how many keys of one object are compared one by one before
// a set takes over, so that an object of many keys costs linear time.
const linearKeys = 32

// strPlain marks the bytes a string holds as they are: not the quote, the
// backslash, a control character or the start of a multi-byte sequence.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = false, false
	return t
}()

func (s *jsonScan) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\n', '\r', '\t':
			s.pos++
		default:
			return
		}
	}
}

// peek is the next byte after whitespace, or 0 at the end.
func (s *jsonScan) peek() byte {
	s.space()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// value scans one value at nesting depth (its container's depth).
func (s *jsonScan) value(depth int) bool {
	switch s.peek() {
	case '{':
		return s.object(depth + 1)
	case '[':
		return s.array(depth + 1)
	case '"':
		s.pos++
		_, ok := s.str()
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

// object scans an object at pos, whose own depth is depth.
func (s *jsonScan) object(depth int) bool {
	if depth > scanMaxDepth {
		return false
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return true
	}
	base := len(s.keys)
	for {
		if s.peek() != '"' {
			return false
		}
		s.pos++
		start := s.pos
		escaped, ok := s.str()
		if !ok {
			return false
		}
		if s.values && (escaped || !s.addKey(depth, base, s.data[start:s.pos-1])) {
			return false
		}
		if s.peek() != ':' {
			return false
		}
		s.pos++
		if !s.value(depth) {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			if s.values {
				if len(s.keys)-base >= linearKeys {
					clear(s.sets[depth])
				}
				s.keys = s.keys[:base]
			}
			return true
		default:
			return false
		}
	}
}

// addKey records a key of the object at depth whose keys start at base;
// false if the object already has it.
func (s *jsonScan) addKey(depth, base int, key []byte) bool {
	n := len(s.keys) - base
	if n < linearKeys {
		for _, k := range s.keys[base:] {
			if bytes.Equal(k, key) {
				return false
			}
		}
		s.keys = append(s.keys, key)
		return true
	}
	for len(s.sets) <= depth {
		s.sets = append(s.sets, nil)
	}
	if s.sets[depth] == nil {
		s.sets[depth] = map[string]struct{}{}
	}
	set := s.sets[depth]
	if n == linearKeys {
		for _, k := range s.keys[base:] {
			set[string(k)] = struct{}{}
		}
	}
	if _, dup := set[string(key)]; dup {
		return false
	}
	set[string(key)] = struct{}{}
	s.keys = append(s.keys, key)
	return true
}

func (s *jsonScan) array(depth int) bool {
	if depth > scanMaxDepth {
		return false
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// str scans a string after its opening quote through its closing quote,
// reporting whether it has escapes.
func (s *jsonScan) str() (escaped, ok bool) {
	d := s.data
	i := s.pos
	for {
		i = plainRun(d, i)
		if i >= len(d) {
			return false, false
		}
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return escaped, true
		case c == '\\':
			escaped = true
			n := escapeLen(d[i:])
			if n == 0 {
				return false, false
			}
			i += n
		case c < 0x20:
			return false, false
		default:
			r, n := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && n == 1 {
				return false, false
			}
			i += n
		}
	}
}

// plainRun returns the index of the first byte at or after i that a string
// does not hold as it is (see strPlain), or len(d). It tests eight bytes at
// a time for a byte below 0x20, a '"' or '\\' (a zero byte once xored with
// it), or one with its high bit set; the tests can also flag a byte after a
// true one, never miss one, and a flagged word is read byte by byte.
func plainRun(d []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(d); i += 8 {
		w := binary.LittleEndian.Uint64(d[i:])
		q := w ^ (ones * '"')
		b := w ^ (ones * '\\')
		if ((w-ones*0x20)&^w|(q-ones)&^q|(b-ones)&^b|w)&highs != 0 {
			break
		}
	}
	for i < len(d) && strPlain[d[i]] {
		i++
	}
	return i
}

// escapeLen is the length of the escape sequence b starts with (at its
// backslash), 0 if it is not one protojson decodes: \u of a surrogate must
// be a high surrogate followed by an escaped low one.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		r, ok := escapedRune(b)
		switch {
		case !ok:
			return 0
		case r < 0xd800 || r >= 0xe000:
			return 6
		case r >= 0xdc00: // a low surrogate first
			return 0
		}
		if r2, ok := escapedRune(b[6:]); ok && r2 >= 0xdc00 && r2 < 0xe000 {
			return 12
		}
	}
	return 0
}

// escapedRune decodes \uXXXX at the start of b.
func escapedRune(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (s *jsonScan) literal(word string) bool {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return false
	}
	s.pos += len(word)
	return true
}

// number scans a number by RFC 8259's grammar; with values it must also be
// a float64, as protojson parses a google.protobuf.Value's number.
func (s *jsonScan) number() bool {
	d := s.data
	start := s.pos
	i := start
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = digits(d, i+1)
	default:
		return false
	}
	exp := false
	if i < len(d) && d[i] == '.' {
		j := digits(d, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		exp = true
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			return false
		}
		i = j
	}
	s.pos = i
	// Without an exponent, 300 characters stay below float64's largest
	// value (about 1.8e308); anything else is parsed as protojson parses it.
	if s.values && (exp || i-start > 300) {
		if _, err := strconv.ParseFloat(string(d[start:i]), 64); err != nil {
			return false
		}
	}
	return true
}

func digits(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}

// members scans an object at pos calling each for every member, after the
// member's key and colon, to scan its value; false if a key has escapes.
func (s *jsonScan) members(each func(key []byte) bool) bool {
	if s.peek() != '{' {
		return false
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		s.pos++
		start := s.pos
		if escaped, ok := s.str(); !ok || escaped {
			return false
		}
		key := s.data[start : s.pos-1]
		if s.peek() != ':' {
			return false
		}
		s.pos++
		if !each(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return true
		default:
			return false
		}
	}
}
