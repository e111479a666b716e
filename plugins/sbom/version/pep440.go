package version

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// pep440Re is PEP 440's version grammar (its appendix B), case-insensitive,
// with the alternative spellings it normalises.
var pep440Re = regexp.MustCompile(`(?i)^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?` +
	`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?` +
	`(?:[-_.]?(dev)[-_.]?(\d+)?)?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`)

// pep440Key is what PEP 440 compares: epoch, release, pre-release,
// post-release, development release, local version.
type pep440Key struct {
	epoch   int64
	release []int64
	// pre is (phase, n): phase 0 a, 1 b, 2 rc; a missing pre-release sorts
	// after all (phase 3), except for a bare dev release, before all (-1).
	prePhase int
	preN     int64
	post     int64 // -1 when absent
	dev      int64 // MaxInt64 when absent
	local    []string
}

func parsePEP440(v string) (pep440Key, error) {
	m := pep440Re.FindStringSubmatch(v)
	if m == nil {
		return pep440Key{}, fmt.Errorf("%q is not a PEP 440 version", v)
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return math.MaxInt64 // absurdly long digit runs sort last
		}
		return n
	}
	k := pep440Key{post: -1, dev: math.MaxInt64, prePhase: 3}
	if m[1] != "" {
		k.epoch = num(m[1])
	}
	for _, p := range strings.Split(m[2], ".") {
		k.release = append(k.release, num(p))
	}
	for len(k.release) > 1 && k.release[len(k.release)-1] == 0 {
		k.release = k.release[:len(k.release)-1]
	}
	if m[3] != "" {
		switch strings.ToLower(m[3]) {
		case "a", "alpha":
			k.prePhase = 0
		case "b", "beta":
			k.prePhase = 1
		default:
			k.prePhase = 2
		}
		if m[4] != "" {
			k.preN = num(m[4])
		}
	}
	switch {
	case m[5] != "":
		k.post = num(m[5])
	case m[6] != "":
		k.post = 0
		if m[7] != "" {
			k.post = num(m[7])
		}
	}
	if m[8] != "" {
		k.dev = 0
		if m[9] != "" {
			k.dev = num(m[9])
		}
	}
	if m[3] == "" && m[5] == "" && m[6] == "" && m[8] != "" {
		k.prePhase = -1 // 1.0.dev0 < 1.0a1
	}
	if m[10] != "" {
		k.local = strings.FieldsFunc(strings.ToLower(m[10]), func(r rune) bool { return r == '.' || r == '-' || r == '_' })
	}
	return k, nil
}

func (a pep440Key) compare(b pep440Key) int {
	if c := cmp.Compare(a.epoch, b.epoch); c != 0 {
		return c
	}
	for i := 0; i < max(len(a.release), len(b.release)); i++ {
		var x, y int64
		if i < len(a.release) {
			x = a.release[i]
		}
		if i < len(b.release) {
			y = b.release[i]
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.prePhase, b.prePhase); c != 0 {
		return c
	}
	if c := cmp.Compare(a.preN, b.preN); c != 0 {
		return c
	}
	if c := cmp.Compare(a.post, b.post); c != 0 {
		return c
	}
	if c := cmp.Compare(a.dev, b.dev); c != 0 {
		return c
	}
	return compareLocal(a.local, b.local)
}

// compareLocal orders local versions: none sorts first; numeric segments
// after alphanumeric ones; shorter before longer when one is a prefix.
func compareLocal(a, b []string) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		na, ea := strconv.ParseInt(a[i], 10, 64)
		nb, eb := strconv.ParseInt(b[i], 10, 64)
		var c int
		switch {
		case ea == nil && eb == nil:
			c = cmp.Compare(na, nb)
		case ea == nil:
			c = 1
		case eb == nil:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}
