package options

import (
	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// TrustRoot is what a verb verifies against: a trusted_root.json, or
// Sigstore public-good through TUF, from the network or the cache.
type TrustRoot struct {
	Cache
	TrustedRoot string
}

// Flags registers --trusted-root, --offline and --cache-dir.
func (o *TrustRoot) Flags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "trusted-root", Usage: "trusted_root.json to verify against (default: Sigstore public-good via TUF)", Destination: &o.TrustedRoot},
	}, o.Cache.Flags()...)
}

// commandLineRoot names the one trust root of a verb's policy.
const commandLineRoot = "command-line"

// root is the trust root the flags name, paths made absolute.
func (o *TrustRoot) root(p paths) (*policy.TrustRoot, error) {
	if err := mustExist("trusted-root", o.TrustedRoot); err != nil {
		return nil, err
	}
	return &policy.TrustRoot{Spec: trustroot.Spec{Name: commandLineRoot, TrustedRoot: p.abs(o.TrustedRoot)}}, nil
}

// Key is cosign's --key: a key signature instead of a certificate identity.
type Key struct {
	Key string
}

// Flags registers --key.
func (o *Key) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "key", Usage: "PEM public key that must have signed (instead of a certificate identity)", Destination: &o.Key},
	}
}

// Verification are cosign's flags that loosen or tighten what a signature
// must carry.
type Verification struct {
	IgnoreTlog          bool
	IgnoreSCT           bool
	UseSignedTimestamps bool
	NewBundleFormat     bool
}

// Flags registers --insecure-ignore-tlog, --insecure-ignore-sct,
// --use-signed-timestamps and --new-bundle-format.
func (o *Verification) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "insecure-ignore-tlog", Usage: "accept signatures with no transparency-log entry (warns)", Destination: &o.IgnoreTlog},
		&cli.BoolFlag{Name: "insecure-ignore-sct", Usage: "do not require an embedded SCT in the certificate", Destination: &o.IgnoreSCT},
		&cli.BoolFlag{Name: "use-signed-timestamps", Usage: "require an RFC 3161 signed timestamp as the time source", Destination: &o.UseSignedTimestamps},
		&cli.BoolFlag{Name: "new-bundle-format", Usage: "accepted for cosign compatibility: every bundle format is read", Destination: &o.NewBundleFormat},
	}
}

func (o *Verification) requirements() trust.Requirements {
	var r trust.Requirements
	r.IgnoreTlog = o.IgnoreTlog
	if o.IgnoreSCT {
		zero := 0
		r.SCTThreshold = &zero
	}
	if o.UseSignedTimestamps {
		r.TimeSource = "timestamp"
	}
	return r
}

// Signer is who must have signed in a blob or image verb: a key, or a
// keyless identity, checked against a trust root with cosign's
// requirements.
type Signer struct {
	Keyless
	Key
	TrustRoot
	Verification
}

// Flags registers every group of the signer.
func (o *Signer) Flags() []cli.Flag {
	flags := append(o.Keyless.Flags(), o.TrustRoot.Flags()...)
	flags = append(flags, o.Key.Flags()...)
	return append(flags, o.Verification.Flags()...)
}

// artifact fills in who must have signed a, and returns the trust root it
// is verified against.
func (o *Signer) artifact(a *policy.Artifact, p paths) (*policy.TrustRoot, error) {
	tr, err := o.TrustRoot.root(p)
	if err != nil {
		return nil, err
	}
	a.TrustRoot, a.Require, a.Requirements = tr.Name, 1, o.Verification.requirements()
	if o.Key.Key == "" {
		id, err := o.Keyless.Identity()
		if err != nil {
			return nil, err
		}
		a.Identities = []trust.Identity{id}
		return tr, nil
	}
	if err := mustExist("key", o.Key.Key); err != nil {
		return nil, err
	}
	if o.Keyless.IsSet() {
		return nil, usagef("--key verifies a key signature: certificate identity flags do not apply")
	}
	tr.PublicKeys = []string{p.abs(o.Key.Key)}
	// The key's Rekor entries are verified with public-good's log keys
	// (from the TUF cache when offline), unless the log is ignored.
	tr.WithTUF = tr.TrustedRoot == "" && !o.Verification.IgnoreTlog
	a.UseKey = true
	return tr, nil
}
