package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// maxFileFunctionSize bounds what file() reads.
const maxFileFunctionSize = 1 << 20

// functions are the functions a policy may call. They are pure except file(),
// which reads relative to the policy's directory.
func functions(dir string) map[string]function.Function {
	return map[string]function.Function{
		"upper":         stdlib.UpperFunc,
		"lower":         stdlib.LowerFunc,
		"format":        stdlib.FormatFunc,
		"join":          stdlib.JoinFunc,
		"split":         stdlib.SplitFunc,
		"replace":       stdlib.ReplaceFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"trimprefix":    stdlib.TrimPrefixFunc,
		"trimsuffix":    stdlib.TrimSuffixFunc,
		"trimspace":     stdlib.TrimSpaceFunc,
		"concat":        stdlib.ConcatFunc,
		"contains":      stdlib.ContainsFunc,
		"length":        stdlib.LengthFunc,
		"coalesce":      stdlib.CoalesceFunc,
		"flatten":       stdlib.FlattenFunc,
		"merge":         stdlib.MergeFunc,
		"keys":          stdlib.KeysFunc,
		"values":        stdlib.ValuesFunc,
		"lookup":        stdlib.LookupFunc,
		"tostring":      stdlib.MakeToFunc(cty.String),
		"tonumber":      stdlib.MakeToFunc(cty.Number),
		"tolist":        stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"regex":         stdlib.RegexFunc,
		"regex_escape":  regexEscapeFunc,
		"sha256":        sha256Func,
		"file":          fileFunc(dir),
		"startswith":    startsWithFunc,
		"can":           tryfunc.CanFunc,
		"try":           tryfunc.TryFunc,
	}
}

var regexEscapeFunc = function.New(&function.Spec{
	Description: "Quotes every regular-expression metacharacter in a string.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(regexp.QuoteMeta(args[0].AsString())), nil
	},
})

var sha256Func = function.New(&function.Spec{
	Description: "Hex SHA-256 of a string.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		sum := sha256.Sum256([]byte(args[0].AsString()))
		return cty.StringVal(hex.EncodeToString(sum[:])), nil
	},
})

var startsWithFunc = function.New(&function.Spec{
	Description: "Whether a string starts with a prefix.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}, {Name: "prefix", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		s, p := args[0].AsString(), args[1].AsString()
		return cty.BoolVal(len(s) >= len(p) && s[:len(p)] == p), nil
	},
})

func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Description: "Contents of a file (relative to the policy's directory), at most 1 MiB.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			f, err := os.Open(p)
			if err != nil {
				return cty.NilVal, err
			}
			defer f.Close()
			buf := make([]byte, maxFileFunctionSize+1)
			n, _ := readFull(f, buf)
			if n > maxFileFunctionSize {
				return cty.NilVal, function.NewArgErrorf(0, "%s is larger than 1 MiB", p)
			}
			return cty.StringVal(string(buf[:n])), nil
		},
	})
}
