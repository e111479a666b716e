package version

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	// Each row: a < b under the scheme (and so b > a), or equal when eq.
	cases := []struct {
		s    Scheme
		a, b string
		eq   bool
	}{
		{PEP440, "1.0rc1", "1.0", false},
		{PEP440, "1.0.dev0", "1.0a1", false},
		{PEP440, "1.0a1", "1.0b1", false},
		{PEP440, "1.0b2", "1.0rc1", false},
		{PEP440, "1.0", "1.0.post1", false},
		{PEP440, "1.0.post1.dev1", "1.0.post1", false},
		{PEP440, "1.0", "1.0+local.1", false},
		{PEP440, "2.30.0", "2.31", false},
		{PEP440, "1.0", "1!0.1", false},
		{PEP440, "1.0", "1.0.0", true},
		{PEP440, "1.0RC1", "1.0c1", true},
		{PEP440, "1.0-1", "1.0.post1", true},
		{PEP440, "1.0alpha", "1.0a0", true},
		{Semver, "1.0.0-alpha", "1.0.0", false},
		{Semver, "1.0.0-alpha", "1.0.0-alpha.1", false},
		{Semver, "1.0.0-beta.11", "1.0.0-rc.1", false},
		{Semver, "v1.2.3", "v1.10.0", false},
		{Semver, "v0.0.0-20210101000000-abcdefabcdef", "v0.1.0", false},
		{Semver, "=1.2.3", "v1.2.3", true},
		{Semver, "1.2.3+build.5", "1.2.3", true},
		{Maven, "1.0-SNAPSHOT", "1.0", false},
		{Maven, "2.17.0", "2.17.1", false},
		{Maven, "1.0-alpha-1", "1.0-beta-1", false},
		{Maven, "1.0-rc1", "1.0", false},
		{Maven, "1.0-beta", "1.0-SNAPSHOT", false},
		{Maven, "1.0", "1.0-sp1", false},
		{Maven, "1.0-sp1", "1.0-1", false},
		{Maven, "1.0", "1.0.1", false},
		{Maven, "2.0.0", "2.17.1", false},
		{Maven, "1.0a1", "1.0b1", false},
		{Maven, "1.0", "1.0.0", true},
		{Maven, "1.0-GA", "1.0", true},
		{Maven, "1.0-final", "1.0.0", true},
		{Generic, "1.2", "1.10", false},
		{Generic, "1.2", "1.2.1", false},
		{Generic, "3.2.0-r22", "3.2.0-r23", false},
		{Generic, "1.1.1k", "1.1.1l", false},
		{Generic, "2021a-1", "2021b-1", false},
		{Generic, "01.2", "1.2", true},
	}
	for _, c := range cases {
		ab, err := Compare(c.s, c.a, c.b)
		if err != nil {
			t.Fatalf("%s %s vs %s: %v", c.s, c.a, c.b, err)
		}
		ba, err := Compare(c.s, c.b, c.a)
		if err != nil {
			t.Fatalf("%s %s vs %s: %v", c.s, c.b, c.a, err)
		}
		want := -1
		if c.eq {
			want = 0
		}
		if ab != want || ba != -want {
			t.Errorf("%s: Compare(%q, %q) = %d and reversed %d; want %d", c.s, c.a, c.b, ab, ba, want)
		}
	}
}

func TestCompareRejectsForeignVersions(t *testing.T) {
	for _, c := range []struct {
		s Scheme
		v string
	}{{PEP440, "1.0-SNAPSHOT-x"}, {PEP440, "latest"}, {Semver, "1.2.3.4"}, {Semver, "abc"}} {
		if _, err := Compare(c.s, c.v, "1.0"); err == nil || !strings.Contains(err.Error(), c.v) {
			t.Errorf("%s %q: error = %v, want one naming the version", c.s, c.v, err)
		}
	}
}

func TestForPURLType(t *testing.T) {
	for typ, want := range map[string]Scheme{"pypi": PEP440, "npm": Semver, "golang": Semver, "cargo": Semver, "maven": Maven, "deb": Generic, "PyPI": PEP440} {
		if got := ForPURLType(typ); got != want {
			t.Errorf("ForPURLType(%q) = %s, want %s", typ, got, want)
		}
	}
}

func TestConstraint(t *testing.T) {
	cases := []struct {
		s          Scheme
		constraint string
		v          string
		want       bool
	}{
		{Maven, ">=2.0.0, <2.17.1", "2.17.0", true},
		{Maven, ">=2.0.0, <2.17.1", "2.17.1", false},
		{Maven, ">=2.0.0, <2.17.1", "2.0-beta9", false},
		{Maven, ">=2.0.0, <2.17.1", "2.14.1", true},
		{PEP440, ">=2.31", "2.31.0", true},
		{PEP440, ">=2.31", "2.31.0rc1", false},
		{PEP440, "==1.0", "1.0.0", true},
		{PEP440, "!=1.0", "1.0.0", false},
		{Semver, "<1.0.0 || >=2.0.0", "1.5.0", false},
		{Semver, "<1.0.0 || >=2.0.0", "2.0.0", true},
		{Semver, "1.2.3", "v1.2.3", true},
		{Semver, ">1.0.0-alpha", "1.0.0-beta", true},
		{Generic, "<=3.2.0-r22", "3.2.0-r22", true},
	}
	for _, c := range cases {
		con, err := ParseConstraint(c.constraint)
		if err != nil {
			t.Fatalf("%q: %v", c.constraint, err)
		}
		got, err := con.Match(c.s, c.v)
		if err != nil {
			t.Fatalf("%q %s: %v", c.constraint, c.v, err)
		}
		if got != c.want {
			t.Errorf("%s %q matches %s = %v, want %v", c.s, c.constraint, c.v, got, c.want)
		}
	}
	for _, bad := range []string{"", ">=", "1.0,", ">= 1.0 2.0", ",<2"} {
		if _, err := ParseConstraint(bad); err == nil {
			t.Errorf("ParseConstraint(%q) accepted it", bad)
		}
	}
	con, _ := ParseConstraint(">=1.0")
	if ok, err := con.Match(PEP440, "not a version"); ok || err == nil {
		t.Errorf("an unreadable version matched (%v) without an error (%v)", ok, err)
	}
}

func FuzzCompare(f *testing.F) {
	for _, s := range []string{"1.0rc1", "1.0-SNAPSHOT", "v1.2.3-alpha.1", "1!2.0.post3.dev4+l.5", "2.17.1", "3.2.0-r22"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range []Scheme{PEP440, Semver, Maven, Generic} {
			ab, errA := Compare(s, a, b)
			ba, errB := Compare(s, b, a)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%s: errors differ by order: %v / %v", s, errA, errB)
			}
			if errA == nil && ab != -ba {
				t.Fatalf("%s: Compare(%q, %q) = %d but reversed %d", s, a, b, ab, ba)
			}
			if aa, err := Compare(s, a, a); err == nil && aa != 0 {
				t.Fatalf("%s: %q differs from itself", s, a)
			}
		}
	})
}
