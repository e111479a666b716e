package version

import (
	"cmp"
	"strings"
	"unicode"
)

// mavenItem is one token of a Maven version: a number or a qualifier.
type mavenItem struct {
	num     string // digits without leading zeros; "" for a qualifier
	isNum   bool
	qual    string
	sublist bool // the token follows a '-': it starts a sub-list
}

// mavenQualifiers ranks the qualifiers Maven knows, as ComparableVersion
// does; "" is a release (ga, final, release), unknown ones come after sp.
var mavenQualifiers = map[string]int{
	"alpha": 0, "beta": 1, "milestone": 2, "rc": 3, "cr": 3, "snapshot": 4,
	"": 5, "ga": 5, "final": 5, "release": 5, "sp": 6,
}

// mavenTokens splits a version at '.', '-' and digit-letter transitions,
// expanding the one-letter a, b and m before a digit as Maven does.
func mavenTokens(v string) []mavenItem {
	v = strings.ToLower(strings.TrimSpace(v))
	var out []mavenItem
	start, dash := 0, false
	flush := func(end int) {
		if end > start {
			t := v[start:end]
			it := mavenItem{sublist: dash}
			if t[0] >= '0' && t[0] <= '9' {
				it.isNum = true
				it.num = strings.TrimLeft(t, "0")
			} else {
				it.qual = t
				if len(t) == 1 && end < len(v) && v[end] >= '0' && v[end] <= '9' {
					switch t {
					case "a":
						it.qual = "alpha"
					case "b":
						it.qual = "beta"
					case "m":
						it.qual = "milestone"
					}
				}
			}
			out = append(out, it)
			dash = false
		}
		start = end
	}
	for i := 0; i < len(v); i++ {
		c := rune(v[i])
		switch {
		case c == '.' || c == '-':
			flush(i)
			start = i + 1
			if c == '-' {
				dash = true
			}
		case i > start && unicode.IsDigit(c) != unicode.IsDigit(rune(v[i-1])):
			flush(i)
		}
	}
	flush(len(v))
	// Trailing zeros and release qualifiers say nothing: 1.0.0 = 1-final = 1.
	for len(out) > 0 {
		last := out[len(out)-1]
		if last.isNum && last.num != "" || !last.isNum && mavenQualifiers[last.qual] != 5 {
			break
		}
		if _, known := mavenQualifiers[last.qual]; !last.isNum && !known {
			break
		}
		out = out[:len(out)-1]
	}
	return out
}

func compareMavenQualifier(a, b string) int {
	ra, ka := mavenQualifiers[a]
	rb, kb := mavenQualifiers[b]
	if !ka {
		ra = 7
	}
	if !kb {
		rb = 7
	}
	if c := cmp.Compare(ra, rb); c != 0 || ka {
		return c
	}
	return strings.Compare(a, b)
}

// compareMavenItem orders two tokens; a missing one (nil) is the null item:
// 0 to a number, a release to a qualifier.
func compareMavenItem(a, b *mavenItem) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -compareMavenItem(b, nil)
	}
	if b == nil {
		if a.isNum {
			if a.num == "" {
				return 0
			}
			return 1
		}
		return compareMavenQualifier(a.qual, "")
	}
	switch {
	case a.isNum && b.isNum:
		if c := cmp.Compare(len(a.num), len(b.num)); c != 0 {
			return c
		}
		return strings.Compare(a.num, b.num)
	case a.isNum:
		return 1 // 1.0.1 > 1.0.rc, 1-1 > 1-snapshot
	case b.isNum:
		return -1
	}
	return compareMavenQualifier(a.qual, b.qual)
}

// compareMaven orders Maven versions: 1.0-alpha < 1.0-beta < 1.0-rc <
// 1.0-SNAPSHOT < 1.0 = 1.0.0 = 1.0-ga < 1.0-sp < 1.0-1 < 1.0.1.
func compareMaven(a, b string) int {
	ta, tb := mavenTokens(a), mavenTokens(b)
	for i := 0; i < max(len(ta), len(tb)); i++ {
		var x, y *mavenItem
		if i < len(ta) {
			x = &ta[i]
		}
		if i < len(tb) {
			y = &tb[i]
		}
		if c := compareMavenItem(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compareGeneric orders versions of an unknown scheme: runs of digits
// numerically, other runs by byte order, a run of digits after any other
// run; a version that is a prefix of another comes first. Punctuation only
// separates.
func compareGeneric(a, b string) int {
	ta, tb := genericTokens(a), genericTokens(b)
	for i := 0; i < min(len(ta), len(tb)); i++ {
		x, y := ta[i], tb[i]
		dx, dy := x[0] >= '0' && x[0] <= '9', y[0] >= '0' && y[0] <= '9'
		var c int
		switch {
		case dx && dy:
			x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
			if c = cmp.Compare(len(x), len(y)); c == 0 {
				c = strings.Compare(x, y)
			}
		case dx:
			c = 1
		case dy:
			c = -1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(ta), len(tb))
}

func genericTokens(v string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(v); i++ {
		var c byte
		if i < len(v) {
			c = v[i]
		}
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if start >= 0 && (!alnum || (c >= '0' && c <= '9') != (v[start] >= '0' && v[start] <= '9')) {
			out = append(out, v[start:i])
			start = -1
		}
		if alnum && start < 0 {
			start = i
		}
	}
	return out
}
