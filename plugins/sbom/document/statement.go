package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/plugins/sbom/internal/jsonstream"
)

// Statement is the in-toto statement around an SBOM predicate.
type Statement struct {
	Type          string
	PredicateType string
	Subjects      []Subject
}

// Subject is an in-toto subject: a name and its digests.
type Subject struct {
	Name    string
	Digests []Digest
}

// ReadStatement reads an in-toto statement (a DSSE payload) whose predicate
// is an SBOM, decoding the predicate straight from payload without building
// the statement's tree: a 30 MB SBOM attestation costs the model, not a
// second copy of the document. The predicate is read in place when
// predicateType precedes it (as cosign and in-toto libraries write
// statements), else on a second pass over payload.
func ReadStatement(ctx context.Context, payload []byte, opts Options) (*Statement, *Document, error) {
	if int64(len(payload)) > opts.maxBytes() {
		return nil, nil, fmt.Errorf("%w of %d bytes: the statement has %d", ErrTooLarge, opts.maxBytes(), len(payload))
	}
	d := jsonstream.NewDecoder(ctx, bytes.NewReader(payload), opts.maxDepth())
	ok, err := d.BeginObject()
	if err != nil || !ok {
		if err == nil {
			err = errors.New("it is null")
		}
		return nil, nil, fmt.Errorf("reading the in-toto statement: %w", err)
	}
	st := &Statement{}
	var doc *Document
	var fam family
	havePredicate := false
	deferred := int64(-1)
	seen := map[string]bool{}
	var key, str []byte
	for {
		var more bool
		if key, more, err = d.Key(); err != nil {
			return nil, nil, fmt.Errorf("reading the in-toto statement: %w", err)
		}
		if !more {
			break
		}
		k := string(key)
		switch k {
		case "_type", "predicateType", "subject", "predicate":
			if seen[k] {
				return nil, nil, fmt.Errorf("reading the in-toto statement: key %q appears twice", k)
			}
			seen[k] = true
		}
		switch k {
		case "_type":
			str, err = d.ReadString()
			st.Type = string(str)
		case "predicateType":
			if str, err = d.ReadString(); err == nil {
				st.PredicateType = string(str)
				if fam, err = statementFamily(st.PredicateType, opts); err != nil {
					return nil, nil, err
				}
			}
		case "subject":
			st.Subjects, err = readSubjects(d)
		case "predicate":
			havePredicate = true
			if st.PredicateType != "" {
				doc, err = readPredicateValue(ctx, d, fam, opts)
				if err != nil {
					return nil, nil, err
				}
				continue
			}
			if _, err = d.Kind(); err == nil {
				deferred = d.Offset()
				err = d.Skip()
			}
		default:
			if err = caseVariant(key, []string{"_type", "predicateType", "subject", "predicate"}); err == nil {
				err = d.Skip()
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading the in-toto statement: %s: %w", k, err)
		}
	}
	if err := d.Finish(); err != nil {
		return nil, nil, fmt.Errorf("reading the in-toto statement: after it: %w", err)
	}
	if st.PredicateType == "" {
		return nil, nil, errors.New("reading the in-toto statement: no predicateType")
	}
	if !havePredicate {
		return nil, nil, errors.New("reading the in-toto statement: no predicate")
	}
	if deferred >= 0 {
		pd := jsonstream.NewDecoder(ctx, bytes.NewReader(payload[deferred:]), opts.maxDepth())
		if doc, err = readPredicateValue(ctx, pd, fam, opts); err != nil {
			return nil, nil, err
		}
	}
	doc.PredicateType = st.PredicateType
	return st, doc, nil
}

func statementFamily(t string, opts Options) (family, error) {
	fam, err := predicateFamily(t)
	if err == nil && fam.custom && !opts.AllowCosignCustom {
		err = errCustomRefused(t)
	}
	return fam, err
}

// readSubjects reads [{"name": …, "digest": {"sha256": …}}].
func readSubjects(d *jsonstream.Decoder) ([]Subject, error) {
	var out []Subject
	ok, err := d.BeginArray()
	if !ok || err != nil {
		return nil, err
	}
	var key, str []byte
	for {
		more, err := d.Next()
		if err != nil || !more {
			return out, err
		}
		ok, err := d.BeginObject()
		if err != nil {
			return nil, err
		}
		var s Subject
		for ok {
			var more bool
			if key, more, err = d.Key(); err != nil {
				return nil, err
			}
			if !more {
				break
			}
			switch string(key) {
			case "name":
				str, err = d.ReadString()
				s.Name = string(str)
			case "digest":
				var in bool
				if in, err = d.BeginObject(); err != nil || !in {
					break
				}
				for {
					var more bool
					if key, more, err = d.Key(); err != nil || !more {
						break
					}
					alg := digestAlgorithm(string(key))
					if str, err = d.ReadString(); err != nil {
						break
					}
					s.Digests = append(s.Digests, Digest{Algorithm: alg, Value: strings.ToLower(string(str))})
				}
			default:
				err = d.Skip()
			}
			if err != nil {
				return nil, fmt.Errorf("subject[%d]: %w", len(out), err)
			}
		}
		out = append(out, s)
	}
}
