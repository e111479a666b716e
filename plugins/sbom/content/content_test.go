package content

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

var now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func comp(name, version, purl, license string) document.Component {
	return document.Component{ID: "id-" + name, Name: name, Version: version, PURL: purl, License: license, Supplier: "S"}
}

// testDoc is a small document with a component per ecosystem.
func testDoc() *document.Document {
	return &document.Document{
		Format: document.CycloneDX, SpecVersion: "1.6", Created: now.Add(-24 * time.Hour),
		Creators:        []document.Creator{{Kind: document.Person, Name: "Jo"}},
		HasDependencies: true,
		Roots: []document.Root{{
			Component: document.Component{Name: "app", Version: "2.0.0", PURL: "pkg:pypi/app@2.0.0"},
			Digests:   []document.Digest{{Algorithm: "sha256", Value: "aa"}},
		}},
		Components: []document.Component{
			comp("log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "Apache-2.0"),
			comp("requests", "2.31.0", "pkg:pypi/Requests@2.31.0", "Apache-2.0"),
			comp("typing_extensions", "4.8.0", "pkg:pypi/typing_extensions@4.8.0", "PSF-2.0"),
			comp("left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0", "WTFPL"),
			comp("x/net", "v0.17.0", "pkg:golang/golang.org/x/net@v0.17.0", "BSD-3-Clause"),
			comp("libvmaf", "3.0.0", "", "BSD-2-Clause-Patent"),
			comp("dual", "1.0", "pkg:cargo/dual@1.0.0", "MIT OR GPL-3.0-only"),
			comp("both", "1.0", "pkg:cargo/both@1.0.0", "MIT AND GPL-3.0-only"),
			comp("classpath", "11", "pkg:generic/classpath@11", "GPL-2.0-only WITH Classpath-exception-2.0"),
			comp("nolicence", "1", "pkg:deb/debian/nolicence@1", ""),
		},
	}
}

func evaluate(t *testing.T, r Rules, doc *document.Document, in Input) *Result {
	t.Helper()
	p, err := Compile(r)
	if err != nil {
		t.Fatal(err)
	}
	if in.Now.IsZero() {
		in.Now = now
	}
	res := p.Evaluate(doc, in)
	// The component-at-a-time evaluation gives the same result.
	e := p.NewEvaluation(in)
	for i := range doc.Components {
		e.Component(&doc.Components[i])
	}
	if again := e.Finish(doc); !sameResult(res, again) {
		t.Fatalf("streamed evaluation differs:\n%+v\n%+v", res, again)
	}
	return res
}

func sameResult(a, b *Result) bool {
	if a.Status != b.Status || len(a.Rules) != len(b.Rules) {
		return false
	}
	for i := range a.Rules {
		x, y := a.Rules[i], b.Rules[i]
		if x.Rule != y.Rule || x.Status != y.Status || x.Count != y.Count || len(x.Violations) != len(y.Violations) {
			return false
		}
	}
	return true
}

// violated lists the names of the components a rule's violations name (or
// their reasons, for violations about no component).
func violated(rr *RuleResult) []string {
	var out []string
	for _, v := range rr.Violations {
		if v.Component.Name != "" {
			out = append(out, v.Component.Name)
		} else {
			out = append(out, v.Reason)
		}
	}
	return out
}

func TestRules(t *testing.T) {
	cases := []struct {
		name   string
		rules  Rules
		in     Input
		rule   string
		status Status
		names  []string // violated components, in order (a substring of the reason for document violations)
	}{
		// packages
		{"packages by name present", Rules{Packages: []string{"libvmaf"}}, Input{}, RulePackages, Pass, nil},
		{"packages by purl, pypi normalised", Rules{Packages: []string{"pkg:pypi/requests >=2.31", "pkg:pypi/Typing.Extensions"}}, Input{}, RulePackages, Pass, nil},
		{"packages missing", Rules{Packages: []string{"libvmaf", "ffmpeg"}}, Input{}, RulePackages, Fail, []string{"ffmpeg"}},
		{"packages version too low", Rules{Packages: []string{"pkg:pypi/requests >=2.32"}}, Input{}, RulePackages, Fail, []string{`only versions "2.31.0"`}},
		{"packages purl version", Rules{Packages: []string{"pkg:npm/left-pad@1.3.0"}}, Input{}, RulePackages, Pass, nil},
		{"packages qualifiers ignored", Rules{Packages: []string{"pkg:golang/golang.org/x/net?type=module >=v0.17.0"}}, Input{}, RulePackages, Pass, nil},
		// deny_packages
		{"deny log4j range", Rules{DenyPackages: []string{"pkg:maven/org.apache.logging.log4j/log4j-core >=2.0.0, <2.17.1"}}, Input{}, RuleDenyPackages, Fail, []string{"log4j-core"}},
		{"deny log4j fixed range", Rules{DenyPackages: []string{"pkg:maven/org.apache.logging.log4j/log4j-core >=2.0.0, <2.14.1"}}, Input{}, RuleDenyPackages, Pass, nil},
		{"deny by name", Rules{DenyPackages: []string{"left-pad"}}, Input{}, RuleDenyPackages, Fail, []string{"left-pad"}},
		{"deny other namespace", Rules{DenyPackages: []string{"pkg:maven/other/log4j-core"}}, Input{}, RuleDenyPackages, Pass, nil},
		{"deny semver golang", Rules{DenyPackages: []string{"pkg:golang/golang.org/x/net <v0.17.0"}}, Input{}, RuleDenyPackages, Pass, nil},
		{"deny semver golang hit", Rules{DenyPackages: []string{"pkg:golang/golang.org/x/net <=v0.17.0"}}, Input{}, RuleDenyPackages, Fail, []string{"x/net"}},
		{"deny unreadable version counts", Rules{DenyPackages: []string{"pkg:pypi/requests <3"}}, Input{}, RuleDenyPackages, Fail, []string{"requests"}},
		// licences
		{"allow: OR has a way", Rules{AllowLicenses: []string{"MIT", "Apache-2.0", "PSF-2.0", "WTFPL", "BSD-3-Clause", "BSD-2-Clause-Patent", "GPL-2.0-only WITH Classpath-exception-2.0"}, Unlicensed: "ignore"}, Input{}, RuleAllowLicenses, Fail, []string{"both"}},
		{"allow: WITH needs the exception listed", Rules{AllowLicenses: []string{"MIT", "Apache-2.0", "PSF-2.0", "WTFPL", "BSD-3-Clause", "BSD-2-Clause-Patent", "GPL-2.0-only", "GPL-3.0-only"}, Unlicensed: "ignore"}, Input{}, RuleAllowLicenses, Fail, []string{"classpath"}},
		{"deny: OR has a way out", Rules{DenyLicenses: []string{"GPL-3.0-only"}, Unlicensed: "ignore"}, Input{}, RuleDenyLicenses, Fail, []string{"both"}},
		{"deny: base licence covers WITH", Rules{DenyLicenses: []string{"GPL-2.0-only"}, Unlicensed: "ignore"}, Input{}, RuleDenyLicenses, Fail, []string{"classpath"}},
		{"deny: WITH entry is specific", Rules{DenyLicenses: []string{"GPL-2.0-only WITH Classpath-exception-2.0"}, Unlicensed: "ignore"}, Input{}, RuleDenyLicenses, Fail, []string{"classpath"}},
		{"deny: nothing denied", Rules{DenyLicenses: []string{"AGPL-3.0-only"}, Unlicensed: "ignore"}, Input{}, RuleDenyLicenses, Pass, nil},
		{"deny: or-later covers later versions and WITH", Rules{DenyLicenses: []string{"GPL-2.0-or-later"}, Unlicensed: "ignore"}, Input{}, RuleDenyLicenses, Fail, []string{"both", "classpath"}},
		{"unlicensed fail", Rules{DenyLicenses: []string{"AGPL-3.0-only"}, Unlicensed: "fail"}, Input{}, RuleUnlicensed, Fail, []string{"nolicence"}},
		{"unlicensed warn", Rules{DenyLicenses: []string{"AGPL-3.0-only"}, Unlicensed: "warn"}, Input{}, RuleUnlicensed, Warn, []string{"nolicence"}},
		{"unlicensed default with allow", Rules{AllowLicenses: []string{"MIT"}}, Input{}, RuleUnlicensed, Fail, []string{"nolicence"}},
		{"unlicensed default with deny", Rules{DenyLicenses: []string{"MIT"}}, Input{}, RuleUnlicensed, Warn, []string{"nolicence"}},
		// min_components, max_age
		{"min_components met", Rules{MinComponents: 10}, Input{}, RuleMinComponents, Pass, nil},
		{"min_components not met", Rules{MinComponents: 11}, Input{}, RuleMinComponents, Fail, []string{"fewer than 11"}},
		{"max_age met", Rules{MaxAge: 48 * time.Hour}, Input{}, RuleMaxAge, Pass, nil},
		{"max_age exceeded", Rules{MaxAge: time.Hour}, Input{}, RuleMaxAge, Fail, []string{"older than 1h0m0s"}},
		// NTIA
		{"ntia complete", Rules{NTIAMinimumElements: true}, Input{}, RuleNTIA, Pass, nil},
		// root binding
		{"root digest equal", Rules{}, Input{SubjectDigests: []document.Digest{{Algorithm: "sha256", Value: "AA"}}}, RuleRootDigest, Pass, nil},
		{"root digest differs", Rules{}, Input{SubjectDigests: []document.Digest{{Algorithm: "sha256", Value: "bb"}}}, RuleRootDigest, Fail, []string{"names sha256:aa, not the subject's sha256:bb"}},
		{"root digest not comparable", Rules{}, Input{SubjectDigests: []document.Digest{{Algorithm: "sha512", Value: "bb"}}}, RuleRootDigest, Warn, []string{"cannot be compared"}},
		{"describes by purl", Rules{Describes: "pkg:pypi/app >=2"}, Input{}, RuleDescribes, Pass, nil},
		{"describes by name", Rules{Describes: "app"}, Input{}, RuleDescribes, Pass, nil},
		{"describes another", Rules{Describes: "pkg:pypi/other"}, Input{}, RuleDescribes, Fail, []string{`describes "pkg:pypi/app@2.0.0 2.0.0", not "pkg:pypi/other"`}},
		{"describes a later version", Rules{Describes: "app >=3"}, Input{}, RuleDescribes, Fail, []string{"not \"app >=3\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := evaluate(t, c.rules, testDoc(), c.in)
			rr := res.Rule(c.rule)
			if rr == nil {
				t.Fatalf("no %s result in %+v", c.rule, res)
			}
			if rr.Status != c.status {
				t.Errorf("status %s, want %s: %+v", rr.Status, c.status, rr)
			}
			got := violated(rr)
			if len(got) != len(c.names) || rr.Count != len(c.names) {
				t.Fatalf("violations %q (count %d), want %q", got, rr.Count, c.names)
			}
			for i := range got {
				if !strings.Contains(got[i], c.names[i]) {
					t.Errorf("violation %d: %q, want %q", i, got[i], c.names[i])
				}
			}
			if res.Status != worse(Pass, res.Status) {
				t.Errorf("overall %s", res.Status)
			}
		})
	}
}

func TestLicenceSemantics(t *testing.T) {
	cases := []struct {
		expr            string
		allow, deny     []string
		allowed, denied bool
	}{
		{"MIT OR GPL-3.0-only", []string{"MIT"}, []string{"GPL-3.0-only"}, true, false},
		{"MIT AND GPL-3.0-only", []string{"MIT"}, []string{"GPL-3.0-only"}, false, true},
		{"(MIT OR ISC) AND Apache-2.0", []string{"ISC", "Apache-2.0"}, []string{"MIT"}, true, false},
		{"(MIT OR ISC) AND Apache-2.0", []string{"MIT"}, []string{"Apache-2.0"}, false, true},
		{"GPL-2.0-only WITH Classpath-exception-2.0", []string{"GPL-2.0-only WITH Classpath-exception-2.0"}, []string{"GPL-2.0-only"}, true, true},
		{"GPL-2.0-only WITH Classpath-exception-2.0", []string{"GPL-2.0-only"}, []string{"GPL-2.0-only WITH LLVM-exception"}, false, false},
		{"Apache-2.0 WITH LLVM-exception OR MIT", []string{"MIT"}, []string{"Apache-2.0"}, true, false},
		{"GPL-3.0-or-later", []string{"GPL-3.0-only"}, []string{"GPL-3.0-only"}, true, true},
		{"LicenseRef-custom", []string{"LicenseRef-custom"}, []string{"LicenseRef-other"}, true, false},
	}
	for _, c := range cases {
		lp, err := newLicensePolicy(c.allow, c.deny)
		if err != nil {
			t.Fatal(err)
		}
		v := lp.verdict(c.expr)
		if v.unreadable != "" || v.allowed != c.allowed || v.denied != c.denied {
			t.Errorf("%q allow %q deny %q: allowed %v denied %v (%s%s), want %v %v", c.expr, c.allow, c.deny, v.allowed, v.denied, v.denyWhy, v.unreadable, c.allowed, c.denied)
		}
	}
	lp, _ := newLicensePolicy([]string{"MIT"}, []string{"GPL-3.0-only"})
	if v := lp.verdict("Not A Licence ((("); v.unreadable == "" {
		t.Error("an unreadable expression was read")
	}
	for _, bad := range [][]string{{"MIT OR ISC"}, {"Not-A-Licence-Id"}} {
		if _, err := Compile(Rules{AllowLicenses: bad}); err == nil {
			t.Errorf("allow list %q accepted", bad)
		}
	}
}

func TestUnreadableLicence(t *testing.T) {
	doc := &document.Document{Components: []document.Component{comp("odd", "1", "", "Some Licence Text")}}
	res := evaluate(t, Rules{AllowLicenses: []string{"MIT"}, DenyLicenses: []string{"GPL-3.0-only"}}, doc, Input{})
	if rr := res.Rule(RuleAllowLicenses); rr.Status != Fail || rr.Count != 1 {
		t.Errorf("allow: %+v", rr)
	}
	if rr := res.Rule(RuleDenyLicenses); rr.Status != Warn || rr.Count != 1 {
		t.Errorf("deny: %+v", rr)
	}
}

func TestNTIAMissing(t *testing.T) {
	doc := &document.Document{
		Creators:   []document.Creator{{Kind: document.Tool, Name: "syft"}},
		Components: []document.Component{{Name: "a"}, {ID: "b", Name: "b", Version: "1", Supplier: "S"}},
	}
	rr := evaluate(t, Rules{NTIAMinimumElements: true}, doc, Input{}).Rule(RuleNTIA)
	want := []string{"a", "no author", "no readable timestamp", "no dependency relationships"}
	got := violated(rr)
	if rr.Status != Fail || len(got) != len(want) {
		t.Fatalf("%+v", rr)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("violation %d %q, want %q", i, got[i], want[i])
		}
	}
	if r := rr.Violations[0].Reason; r != "missing supplier, version, unique identifier" {
		t.Errorf("reason %q", r)
	}
}

func TestViolationsAreBounded(t *testing.T) {
	doc := &document.Document{}
	for i := 0; i < 1000; i++ {
		doc.Components = append(doc.Components, comp("left-pad", "1.0.0", "pkg:npm/left-pad@1.0.0", "GPL-3.0-only"))
	}
	res := evaluate(t, Rules{DenyPackages: []string{"pkg:npm/left-pad"}, DenyLicenses: []string{"GPL-3.0-only"}, MaxViolations: 7}, doc, Input{})
	for _, name := range []string{RuleDenyPackages, RuleDenyLicenses} {
		rr := res.Rule(name)
		if len(rr.Violations) != 7 || rr.Count != 1000 || rr.Status != Fail {
			t.Errorf("%s: %d violations kept, count %d", name, len(rr.Violations), rr.Count)
		}
	}
	res = evaluate(t, Rules{DenyPackages: []string{"pkg:npm/left-pad"}}, doc, Input{})
	if rr := res.Rule(RuleDenyPackages); len(rr.Violations) != DefaultMaxViolations || rr.Count != 1000 {
		t.Errorf("default bound: %d kept, count %d", len(rr.Violations), rr.Count)
	}
}

func TestMaxAgeWithoutTime(t *testing.T) {
	for _, c := range []struct {
		doc  *document.Document
		want string
	}{
		{&document.Document{}, "no creation time"},
		{&document.Document{CreatedText: "yesterday"}, `"yesterday" is not an RFC 3339 time`},
	} {
		rr := evaluate(t, Rules{MaxAge: time.Hour}, c.doc, Input{}).Rule(RuleMaxAge)
		if rr.Status != Fail || !strings.Contains(rr.Violations[0].Reason, c.want) {
			t.Errorf("%+v, want %q", rr, c.want)
		}
	}
}

func TestRootWithoutDigestOrRoot(t *testing.T) {
	doc := &document.Document{Roots: []document.Root{{Component: document.Component{Name: "a"}}}}
	rr := evaluate(t, Rules{}, doc, Input{SubjectDigests: []document.Digest{{Algorithm: "sha256", Value: "aa"}}}).Rule(RuleRootDigest)
	if rr.Status != Pass || !strings.Contains(rr.Detail, "names no digest") {
		t.Errorf("%+v", rr)
	}
	rr = evaluate(t, Rules{Describes: "a"}, &document.Document{}, Input{}).Rule(RuleDescribes)
	if rr.Status != Fail || !strings.Contains(rr.Violations[0].Reason, "describes no root") {
		t.Errorf("%+v", rr)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		r    Rules
		want string
	}{
		{Rules{Packages: []string{"pkg:"}}, "packages"},
		{Rules{DenyPackages: []string{"pkg:npm/a >=1 <"}}, "deny_packages"},
		{Rules{DenyPackages: []string{"pkg:npm/a@1 >=2"}}, "a purl with a version and a constraint"},
		{Rules{Describes: " "}, "describes"},
		{Rules{Unlicensed: "maybe"}, "unlicensed"},
		{Rules{MinComponents: -1}, "negative"},
	} {
		if _, err := Compile(c.r); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.r, err, c.want)
		}
	}
}

func TestRealSBOMRules(t *testing.T) {
	path := filepath.Join(realfixtures.Dir(t), "sbom", "wp732-ssc_assignment_1", "cyclonedx-sbom.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := document.Read(context.Background(), f, document.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := evaluate(t, Rules{
		Packages:      []string{"pkg:pypi/requests >=2.31", "attrs"},
		DenyPackages:  []string{"pkg:pypi/urllib3 <2.0"},
		MinComponents: 14,
		Describes:     "wp732-rekor-tools >=4.0.1",
		MaxAge:        400 * 24 * time.Hour,
	}, doc, Input{Now: now})
	if res.Status != Pass {
		t.Errorf("%+v", res)
	}
	res = evaluate(t, Rules{DenyLicenses: []string{"MIT"}, NTIAMinimumElements: true, MinComponents: 15}, doc, Input{})
	if res.Rule(RuleUnlicensed).Count != 14 || res.Rule(RuleNTIA).Status != Fail || res.Rule(RuleMinComponents).Status != Fail || res.Status != Fail {
		t.Errorf("%+v", res)
	}
}

// The distroless SBOM's root, the image by digest, binds it to that digest
// and to no other.
func TestRealRootBinding(t *testing.T) {
	f, err := os.Open(filepath.Join(realfixtures.Dir(t), "sbom", "unsigned", "guac", "distroless-cyclonedx.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := document.Read(context.Background(), f, document.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		subject string
		want    Status
	}{
		{"6ad5b696af3ca05a048bd29bf0f623040462638cb0b29c8d702cbb2805687388", Pass},
		{"f7d810ba24b6f953614c0e029cd6d408a84d722035ad5b0a4fb9359039c38c83", Fail},
	} {
		res := evaluate(t, Rules{Describes: "gcr.io/distroless/static:nonroot"}, doc, Input{SubjectDigests: []document.Digest{{Algorithm: "sha256", Value: c.subject}}})
		if rr := res.Rule(RuleRootDigest); rr.Status != c.want {
			t.Errorf("subject %s: %+v", c.subject, rr)
		}
		if rr := res.Rule(RuleDescribes); rr.Status != Pass {
			t.Errorf("describes: %+v", rr)
		}
	}
}
