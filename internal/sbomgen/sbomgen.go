// Package sbomgen writes synthetic SBOMs of any size for tests, fuzz seeds
// and benchmarks: CycloneDX and SPDX JSON shaped like syft's output.
package sbomgen

import (
	"bytes"
	"fmt"
)

// Licenses cycles through the components' licences.
var Licenses = []string{"MIT", "Apache-2.0", "BSD-3-Clause", "MIT OR Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", "ISC"}

// CycloneDX writes a CycloneDX 1.6 document of n npm components, each with
// a supplier, a licence, a purl, a SHA-256 hash and a dependency entry; its
// metadata.component is an image named by digest. About 300 bytes a
// component.
func CycloneDX(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 320)
	b.WriteString(`{"$schema":"http://cyclonedx.org/schema/bom-1.6.schema.json","bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1,"metadata":{"timestamp":"2026-11-30T12:00:00Z","tools":{"components":[{"type":"application","author":"anchore","name":"syft","version":"1.18.0"}]},"authors":[{"name":"Release Team"}],"component":{"bom-ref":"root","type":"container","name":"registry.example/app","version":"sha256:` + hex64(0) + `"}},"components":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"bom-ref":"pkg:npm/pkg-%d@1.%d.%d?package-id=%016x","type":"library","supplier":{"name":"Supplier %d"},"name":"pkg-%d","version":"1.%d.%d","licenses":[%s],"purl":"pkg:npm/pkg-%d@1.%d.%d","hashes":[{"alg":"SHA-256","content":"%s"}]}`,
			i, i%10, i%7, i, i%100, i, i%10, i%7, license(i), i, i%10, i%7, hex64(i))
	}
	b.WriteString(`],"dependencies":[{"ref":"root","dependsOn":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"pkg:npm/pkg-%d@1.%d.%d?package-id=%016x"`, i, i%10, i%7, i)
	}
	b.WriteString(`]}]}`)
	return b.Bytes()
}

func license(i int) string {
	l := Licenses[i%len(Licenses)]
	for _, c := range l {
		if c == ' ' {
			return `{"expression":"` + l + `"}`
		}
	}
	return `{"license":{"id":"` + l + `"}}`
}

// SPDX writes an SPDX 2.3 JSON document of n npm packages plus the root
// package the document DESCRIBES, which CONTAINS each of them.
func SPDX(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 600)
	b.WriteString(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"registry.example/app","documentNamespace":"https://example.com/spdx/app-1","creationInfo":{"licenseListVersion":"3.25","creators":["Organization: Example","Tool: syft-1.18.0"],"created":"2026-11-30T12:00:00Z"},"packages":[`)
	fmt.Fprintf(&b, `{"name":"registry.example/app","SPDXID":"SPDXRef-root","versionInfo":"sha256:%s","supplier":"Organization: Example","downloadLocation":"NOASSERTION","filesAnalyzed":false,"licenseConcluded":"NOASSERTION","licenseDeclared":"NOASSERTION","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:oci/app@sha256%%3A%s?repository_url=registry.example/app"}]}`, hex64(0), hex64(0))
	for i := range n {
		fmt.Fprintf(&b, `,{"name":"pkg-%d","SPDXID":"SPDXRef-Package-npm-pkg-%d-%016x","versionInfo":"1.%d.%d","supplier":"Organization: Supplier %d","originator":"Person: Author %d","downloadLocation":"NOASSERTION","filesAnalyzed":false,"checksums":[{"algorithm":"SHA256","checksumValue":"%s"}],"licenseConcluded":"%s","licenseDeclared":"NOASSERTION","copyrightText":"NOASSERTION","externalRefs":[{"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:pkg-%d:pkg-%d:1.%d.%d:*:*:*:*:*:*:*"},{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/pkg-%d@1.%d.%d"}]}`,
			i, i, i, i%10, i%7, i%100, i%50, hex64(i), Licenses[i%len(Licenses)], i, i, i%10, i%7, i, i%10, i%7)
	}
	b.WriteString(`],"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-root"}`)
	for i := range n {
		fmt.Fprintf(&b, `,{"spdxElementId":"SPDXRef-root","relationshipType":"CONTAINS","relatedSpdxElement":"SPDXRef-Package-npm-pkg-%d-%016x"}`, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// hex64 is a 64-digit hex string derived from i.
func hex64(i int) string {
	return fmt.Sprintf("%016x%016x%016x%016x", i, i*7+1, i*13+2, i*31+3)
}
