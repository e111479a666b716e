package jsonstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// walk decodes one whole value the way a caller does, through Kind, Key,
// Next and ReadString, into what encoding/json's Unmarshal into any gives
// (numbers as json.Number).
func walk(d *Decoder) (any, error) {
	k, err := d.Kind()
	if err != nil {
		return nil, err
	}
	switch k {
	case Object:
		if _, err := d.BeginObject(); err != nil {
			return nil, err
		}
		m := map[string]any{}
		var key []byte
		for {
			var ok bool
			if key, ok, err = d.Key(); err != nil || !ok {
				return m, err
			}
			k := string(key) // the key is valid only until the next call
			v, err := walk(d)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
	case Array:
		if _, err := d.BeginArray(); err != nil {
			return nil, err
		}
		a := []any{}
		for {
			ok, err := d.Next()
			if err != nil || !ok {
				return a, err
			}
			v, err := walk(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case String:
		s, err := d.ReadString()
		return string(s), err
	case Bool:
		return d.ReadBool()
	case Null:
		_, err := d.ReadString()
		return nil, err
	case Number:
		n, err := d.number(nil)
		return json.Number(n), err
	}
	return nil, d.unexpected(d.buf[d.pos], "a value")
}

func decodeAll(data []byte, r io.Reader) (any, error) {
	if r == nil {
		r = bytes.NewReader(data)
	}
	d := NewDecoder(context.Background(), r, 0)
	v, err := walk(d)
	if err != nil {
		return nil, err
	}
	return v, d.Finish()
}

func stdDecode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

var valid = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.25E-3`, `true`, `false`, `null`,
	` { "a" : [ 1 , 2 , { "b" : null } ] , "c" : "d" } `,
	`"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \ud800 x \udc00"`,
	`"héllo 世界 😀"`,
	`[[[[[]]]],{},[{}],{"":""}]`,
	`{"components":[{"name":"a","licenses":[{"license":{"id":"MIT"}}]}]}`,
}

func TestWalkMatchesEncodingJSON(t *testing.T) {
	for _, in := range valid {
		want, err := stdDecode([]byte(in))
		if err != nil {
			t.Fatalf("%s: encoding/json: %v", in, err)
		}
		for name, r := range map[string]io.Reader{"whole": nil, "byte by byte": iotest.OneByteReader(strings.NewReader(in)), "half": iotest.HalfReader(strings.NewReader(in))} {
			got, err := decodeAll([]byte(in), r)
			if err != nil {
				t.Fatalf("%s (%s): %v", in, name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s (%s): got %#v, want %#v", in, name, got, want)
			}
		}
	}
}

func TestRawAndSkipAgree(t *testing.T) {
	for _, in := range valid {
		d := NewDecoder(context.Background(), iotest.OneByteReader(strings.NewReader(in)), 0)
		raw, err := d.Raw(nil)
		if err != nil {
			t.Fatalf("%s: Raw: %v", in, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(in)); err != nil {
			t.Fatal(err)
		}
		if got, want := string(raw), compact.String(); got != want {
			t.Fatalf("Raw = %q, want %q", got, want)
		}
		d = NewDecoder(context.Background(), strings.NewReader(in), 0)
		if err := d.Skip(); err != nil {
			t.Fatalf("%s: Skip: %v", in, err)
		}
		if err := d.Finish(); err != nil {
			t.Fatalf("%s: Finish: %v", in, err)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	cases := []struct {
		name, in, want string
	}{
		{"truncated object", `{"a":[1,2`, "truncated"},
		{"truncated string", `{"a":"bc`, "truncated"},
		{"truncated escape", `"ab\u00`, "truncated"},
		{"truncated literal", `[tru`, "truncated"},
		{"truncated number", `[1.`, "truncated"},
		{"empty", ``, "truncated"},
		{"bad literal", `[nul]`, "invalid literal"},
		{"bad escape", `"\x"`, "escape character"},
		{"bad unicode escape", `"\u12G4"`, `\u escape`},
		{"control character", "\"a\nb\"", "control character"},
		{"invalid UTF-8", "\"a\xffb\"", "invalid UTF-8"},
		{"invalid UTF-8 in a key", "{\"\xc3\":1}", "invalid UTF-8"},
		{"truncated UTF-8 at end", "\"a\xe2\x82", "invalid UTF-8"},
		{"trailing data", `{} x`, "end of input"},
		{"trailing comma", `[1,]`, "value"},
		{"missing comma", `[1 2]`, "','"},
		{"missing colon", `{"a" 1}`, "':'"},
		{"unquoted key", `{a:1}`, "key"},
		{"leading zero", `[01]`, "','"},
		{"plus sign", `[+1]`, "value"},
		{"bare minus", `[-]`, "invalid number"},
		{"10,000 deep", deep, "nested too deeply"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeAll([]byte(c.in), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", err, c.want)
			}
			d := NewDecoder(context.Background(), strings.NewReader(c.in), 0)
			if err := d.Skip(); err == nil {
				err = d.Finish()
				if err == nil {
					t.Fatal("Skip and Finish accepted it")
				}
			}
		})
	}
}

func TestDepthErrorIsQuickAndTyped(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	_, err := decodeAll([]byte(deep), nil)
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("error = %v, want ErrTooDeep", err)
	}
	d := NewDecoder(context.Background(), strings.NewReader(deep), 50)
	if err := d.Skip(); !errors.Is(err, ErrTooDeep) || !strings.Contains(err.Error(), "more than 50 levels") {
		t.Fatalf("Skip error = %v", err)
	}
}

func TestReaderErrorIsKept(t *testing.T) {
	boom := errors.New("boom")
	d := NewDecoder(context.Background(), io.MultiReader(strings.NewReader(`{"a":"`), iotest.ErrReader(boom)), 0)
	if err := d.Skip(); !errors.Is(err, boom) {
		t.Fatalf("error = %v, want the reader's", err)
	}
}

func TestContextCancelStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := NewDecoder(ctx, strings.NewReader(`[1]`), 0)
	if err := d.Skip(); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func TestStringReader(t *testing.T) {
	for _, in := range []string{
		`""`, `"plain"`, `"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \ud800 x"`, `"héllo 世界 😀"`,
		`"` + strings.Repeat(`ab\n😀`, 50000) + `"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1, 3, 4096} {
			doc := `{"Data":` + in + `,"After":[1]}`
			d := NewDecoder(context.Background(), iotest.HalfReader(strings.NewReader(doc)), 0)
			if _, err := d.BeginObject(); err != nil {
				t.Fatal(err)
			}
			if _, _, err := d.Key(); err != nil {
				t.Fatal(err)
			}
			sr, err := d.StringReader()
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			buf := make([]byte, chunk)
			for {
				n, err := sr.Read(buf)
				got.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if got.String() != want {
				t.Fatalf("chunk %d: content differs (%d bytes, want %d)", chunk, got.Len(), len(want))
			}
			key, ok, err := d.Key()
			if err != nil || !ok || string(key) != "After" {
				t.Logf("key %q", key)
				t.Fatalf("after the string: key %q %v %v", key, ok, err)
			}
			if err := d.Skip(); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := d.Key(); ok || err != nil {
				t.Fatalf("object end: %v %v", ok, err)
			}
			if err := d.Finish(); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := NewDecoder(context.Background(), strings.NewReader("\"a\xffb\""), 0)
	sr, _ := d.StringReader()
	if _, err := io.ReadAll(sr); err == nil || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Fatalf("invalid UTF-8 in an embedded document: %v", err)
	}
}

// FuzzDecoder: the decoder never panics, accepts nothing encoding/json
// rejects, decodes what it accepts as encoding/json does, and rejects what
// encoding/json accepts only for invalid UTF-8 or nesting beyond its limit.
func FuzzDecoder(f *testing.F) {
	for _, v := range valid {
		f.Add([]byte(v))
	}
	f.Add([]byte("\"\xff\""))
	f.Add([]byte(`{"a":[1,{"b":"\ud800"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeAll(data, iotest.HalfReader(bytes.NewReader(data)))
		want, stdErr := stdDecode(data)
		switch {
		case err == nil && stdErr != nil:
			t.Fatalf("accepted what encoding/json rejects (%v): %q", stdErr, data)
		case err == nil:
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %#v, encoding/json %#v", got, want)
			}
		case stdErr == nil:
			if utf8.Valid(data) && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("rejected valid JSON: %v: %q", err, data)
			}
		}
		d := NewDecoder(context.Background(), bytes.NewReader(data), 0)
		raw, rawErr := d.Raw(nil)
		if rawErr == nil {
			rawErr = d.Finish()
		}
		if (rawErr == nil) != (err == nil) {
			t.Fatalf("Raw and walk disagree: %v / %v", rawErr, err)
		}
		if rawErr == nil && !json.Valid(raw) {
			t.Fatalf("Raw produced invalid JSON %q", raw)
		}
	})
}
