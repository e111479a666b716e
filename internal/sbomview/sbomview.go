// Package sbomview prints an SBOM's components for `sbom show`: a table
// with a licence summary, or JSON.
package sbomview

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// Component is one component as `sbom show -o json` prints it.
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	PURL    string `json:"purl,omitempty"`
	License string `json:"license,omitempty"`
}

// View is one SBOM as `sbom show -o json` prints it.
type View struct {
	// Part and Digest name the image part the SBOM is about (empty for a
	// file).
	Part        string      `json:"part,omitempty"`
	Digest      string      `json:"digest,omitempty"`
	Format      string      `json:"format"`
	SpecVersion string      `json:"spec_version"`
	Verified    bool        `json:"verified"`
	Components  []Component `json:"components"`
}

// New is the view of doc.
func New(doc *document.Document, verified bool) View {
	v := View{Format: string(doc.Format), SpecVersion: doc.SpecVersion, Verified: verified, Components: []Component{}}
	for _, c := range doc.Components {
		v.Components = append(v.Components, Component{Name: c.Name, Version: c.Version, PURL: c.PURL, License: c.License})
	}
	return v
}

// WriteJSON prints one view as a JSON object, several as an array.
func WriteJSON(w io.Writer, views []View) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if len(views) == 1 {
		return enc.Encode(views[0])
	}
	return enc.Encode(views)
}

// WriteText prints each view's components and a licence summary.
func WriteText(w io.Writer, views []View) error {
	for i, v := range views {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if v.Digest != "" {
			fmt.Fprintf(w, "%s %s: ", dash(v.Part), v.Digest)
		}
		fmt.Fprintf(w, "%s %s, %d components\n\n", v.Format, v.SpecVersion, len(v.Components))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tPURL\tLICENCE")
		counts := map[string]int{}
		for _, c := range v.Components {
			lic := c.License
			if lic == "" {
				lic = "(none)"
			}
			counts[lic]++
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", dash(c.Name), dash(c.Version), dash(c.PURL), lic)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, "\nlicences:")
		lics := make([]string, 0, len(counts))
		for l := range counts {
			lics = append(lics, l)
		}
		sort.Slice(lics, func(i, j int) bool {
			if counts[lics[i]] != counts[lics[j]] {
				return counts[lics[i]] > counts[lics[j]]
			}
			return lics[i] < lics[j]
		})
		for _, l := range lics {
			fmt.Fprintf(w, "  %5d  %s\n", counts[l], l)
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
