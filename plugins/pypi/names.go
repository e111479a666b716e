package pypi

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// NormalizeName is PEP 503's normalised project name: lower case, every run
// of "-", "_" and "." replaced by one "-".
func NormalizeName(name string) string {
	return nameSeparators().ReplaceAllString(strings.ToLower(name), "-")
}

var nameSeparators = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[-_.]+`)
})

// validName is the Core Metadata name rule (PEP 508): ASCII letters, digits,
// "-", "_", "."; starting and ending with a letter or digit.
var validName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
})

// distFile is a parsed distribution file name: what two names must share to
// name the same distribution (packaging's parse_wheel_filename and
// parse_sdist_filename, as pypi-attestations compares subject and file).
type distFile struct {
	Name    string // PEP 503-normalised project name
	Version string // the version as written in the file name
	key     string // PEP 440 comparison key of the version
	Wheel   bool
	Build   string   // wheel build tag, normalised ("1" + suffix), or ""
	Tags    []string // wheel: expanded, sorted interpreter-abi-platform tags
	Sdist   string   // sdist: ".tar.gz" or ".zip"
}

// equal reports whether a and b name the same distribution: same project,
// equal versions under PEP 440, same build tag and the same set of wheel
// tags (compressed tag sets such as manylinux_2_17_x86_64.manylinux2014_x86_64
// in any order).
func (a distFile) equal(b distFile) bool {
	if a.Name != b.Name || a.key != b.key || a.Wheel != b.Wheel || a.Build != b.Build || a.Sdist != b.Sdist {
		return false
	}
	return strings.Join(a.Tags, " ") == strings.Join(b.Tags, " ")
}

// parseDistFile parses a wheel (.whl) or sdist (.tar.gz, .zip) file name.
func parseDistFile(filename string) (distFile, error) {
	switch {
	case strings.HasSuffix(filename, ".whl"):
		return parseWheel(filename)
	case strings.HasSuffix(filename, ".tar.gz"):
		return parseSdist(filename, ".tar.gz")
	case strings.HasSuffix(filename, ".zip"):
		return parseSdist(filename, ".zip")
	}
	return distFile{}, fmt.Errorf("%q is neither a wheel (.whl) nor an sdist (.tar.gz, .zip)", filename)
}

var wheelNamePart = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9._]+$`)
})

func parseWheel(filename string) (distFile, error) {
	stem := strings.TrimSuffix(filename, ".whl")
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return distFile{}, fmt.Errorf("wheel name %q: want name-version[-build]-python-abi-platform.whl", filename)
	}
	namePart := parts[0]
	if strings.Contains(namePart, "__") || !wheelNamePart().MatchString(namePart) {
		return distFile{}, fmt.Errorf("wheel name %q: invalid project name %q", filename, namePart)
	}
	key, err := versionKey(parts[1])
	if err != nil {
		return distFile{}, fmt.Errorf("wheel name %q: %w", filename, err)
	}
	d := distFile{Name: NormalizeName(namePart), Version: parts[1], key: key, Wheel: true}
	if len(parts) == 6 {
		m := buildTag().FindStringSubmatch(parts[2])
		if m == nil {
			return distFile{}, fmt.Errorf("wheel name %q: build tag %q must start with a digit", filename, parts[2])
		}
		n, _ := strconv.Atoi(m[1])
		d.Build = strconv.Itoa(n) + m[2]
	}
	tags := map[string]bool{}
	py, abi, plat := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
	for _, i := range strings.Split(py, ".") {
		for _, a := range strings.Split(abi, ".") {
			for _, p := range strings.Split(plat, ".") {
				if i == "" || a == "" || p == "" {
					return distFile{}, fmt.Errorf("wheel name %q: empty compatibility tag", filename)
				}
				tags[strings.ToLower(i+"-"+a+"-"+p)] = true
			}
		}
	}
	for t := range tags {
		d.Tags = append(d.Tags, t)
	}
	sort.Strings(d.Tags)
	return d, nil
}

var buildTag = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([0-9]+)(.*)$`)
})

func parseSdist(filename, ext string) (distFile, error) {
	stem := strings.TrimSuffix(filename, ext)
	i := strings.LastIndex(stem, "-")
	if i <= 0 || i == len(stem)-1 {
		return distFile{}, fmt.Errorf("sdist name %q: want name-version%s", filename, ext)
	}
	name, version := stem[:i], stem[i+1:]
	if !validName().MatchString(name) {
		return distFile{}, fmt.Errorf("sdist name %q: invalid project name %q", filename, name)
	}
	key, err := versionKey(version)
	if err != nil {
		return distFile{}, fmt.Errorf("sdist name %q: %w", filename, err)
	}
	return distFile{Name: NormalizeName(name), Version: version, key: key, Sdist: ext}, nil
}

// pep440 is the version scheme's grammar (PEP 440, appendix B), with the
// spellings it allows.
var pep440 = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^\s*v?` +
		`(?:([0-9]+)!)?` + // epoch
		`([0-9]+(?:\.[0-9]+)*)` + // release
		`(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?([0-9]+)?)?` + // pre-release
		`(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?` + // post-release
		`(?:[-_.]?(dev)[-_.]?([0-9]+)?)?` + // dev release
		`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?` + // local version
		`\s*$`)
})

// versionKey returns a string that two versions share exactly when PEP 440
// calls them equal (1.0 == 1.0.0 == v1.0, 1.0a1 == 1.0.alpha.1, …).
func versionKey(v string) (string, error) {
	m := pep440().FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("version %q is not a PEP 440 version", v)
	}
	num := func(s string) string {
		if s == "" {
			return "0"
		}
		s = strings.TrimLeft(s, "0")
		if s == "" {
			return "0"
		}
		return s
	}
	var b strings.Builder
	b.WriteString(num(m[1]) + "!")
	release := strings.Split(m[2], ".")
	for i := range release {
		release[i] = num(release[i])
	}
	for len(release) > 1 && release[len(release)-1] == "0" {
		release = release[:len(release)-1]
	}
	b.WriteString(strings.Join(release, "."))
	if m[3] != "" {
		letter := map[string]string{"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "rc": "rc", "pre": "rc", "preview": "rc"}[strings.ToLower(m[3])]
		b.WriteString(letter + num(m[4]))
	}
	switch {
	case m[5] != "":
		b.WriteString(".post" + num(m[5]))
	case m[6] != "":
		b.WriteString(".post" + num(m[7]))
	}
	if m[8] != "" {
		b.WriteString(".dev" + num(m[9]))
	}
	if m[10] != "" {
		local := nameSeparators().Split(strings.ToLower(m[10]), -1)
		for i, seg := range local {
			if _, err := strconv.Atoi(seg); err == nil {
				local[i] = num(seg)
			}
		}
		b.WriteString("+" + strings.Join(local, "."))
	}
	return b.String(), nil
}

// sameVersion reports whether two versions are equal under PEP 440; an
// unparseable version equals only itself.
func sameVersion(a, b string) bool {
	ka, erra := versionKey(a)
	kb, errb := versionKey(b)
	if erra != nil || errb != nil {
		return a == b
	}
	return ka == kb
}

// DistributionName returns the PEP 503-normalised project name and the
// version a wheel or sdist file name carries.
func DistributionName(filename string) (project, version string, err error) {
	d, err := parseDistFile(filename)
	if err != nil {
		return "", "", err
	}
	return d.Name, d.Version, nil
}
