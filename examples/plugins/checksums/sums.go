package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// entry is one line of a SHA256SUMS file.
type entry struct {
	hex  string // lowercase
	line int    // 1-based
}

// parseSums parses the output of `sha256sum` (GNU coreutils):
//
//	<64 hex digits><space><space><name>   text mode
//	<64 hex digits><space>*<name>         binary mode
//
// A line starting with a backslash has an escaped name (`\\`, `\n`, `\r`), as
// sha256sum writes names that contain a backslash or a newline. Empty lines
// and lines starting with '#' are skipped, as `sha256sum -c` does; CRLF line
// ends are accepted. Any other line is an error naming its number: a
// checksum list we cannot read completely is not one we can rely on.
//
// A name listed twice with different digests is an error too (which one
// would the publisher have meant?); a leading "./" is dropped from names.
func parseSums(data []byte) (map[string]entry, error) {
	sums := map[string]entry{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1) // the caller bounds data
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		escaped := strings.HasPrefix(line, `\`)
		line = strings.TrimPrefix(line, `\`)
		digest, name, ok := strings.Cut(line, " ")
		if !ok || len(digest) != 64 || !isHex(digest) || len(name) < 2 || (name[0] != ' ' && name[0] != '*') {
			return nil, fmt.Errorf("line %d: want \"<64 hex digits>  <name>\" (two spaces) or \"<64 hex digits> *<name>\", found %q", n, truncate(line, 100))
		}
		name = strings.TrimPrefix(name[1:], "./")
		if escaped {
			name = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(name)
		}
		digest = strings.ToLower(digest)
		if prev, dup := sums[name]; dup && prev.hex != digest {
			return nil, fmt.Errorf("%q is listed twice with different digests (lines %d and %d)", name, prev.line, n)
		}
		sums[name] = entry{hex: digest, line: n}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return sums, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
