# Reference policy of a vmafx release (docs/verify-blob.md, docs/images.md,
# docs/pypi.md and docs/sbom.md explain the blocks).
#
#   vmafx-trust check policy.hcl --var version=1.4.0
#
# Lay the release assets out next to this file first, in dist/:
#
#   gh release download v1.4.0 --repo lusoris/vmaf --dir dist
#
# Every relative path below resolves against this file's directory, not the
# working directory. Release blobs, the container image, the PyPI package and
# the SBOMs of the image and of libvmaf.so are checked.

variable "version" {
  type        = string
  description = "The release to check, without the leading v (1.4.0, 1.5.0-rc.1)."
  validation {
    # Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH, optional -prerelease and +build.
    condition     = can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$", var.version))
    error_message = "version must be a semantic version such as 1.4.0 (no leading v)."
  }
}

variable "repository" {
  type        = string
  default     = "lusoris/vmaf"
  description = "The GitHub repository (owner/name) whose release workflow built and signed the release."
}

locals {
  tag = "refs/tags/v${var.version}"
  # One provenance file covers every release blob: the generic SLSA generator
  # is fed the SHA256SUMS lines as its subjects. Its file name is the
  # generator's provenance-name input in release.yml.
  provenance = "dist/vmafx-${var.version}.intoto.jsonl"
}

# Sigstore public-good (Fulcio + Rekor), through TUF with the root embedded in
# the binary. Offline runs (--offline) use the TUF cache: run
# `vmafx-trust trusted-root fetch` once while online.
trust_root "public-good" {}

# The release workflow itself: it signs each blob with `cosign sign-blob` and
# SHA256SUMS the same way. Expands to
#   issuer                = https://token.actions.githubusercontent.com
#   subject (SAN)         = https://github.com/<repository>/.github/workflows/release.yml@refs/tags/v<version>
#   source_repository_uri = https://github.com/<repository>
#   source_repository_ref = refs/tags/v<version>
# so a tag push of another version, a branch run or a fork does not match.
identity "release" {
  github {
    repository = var.repository
    workflow   = "release.yml"
    ref        = local.tag
  }
}

# The SLSA provenance is signed by slsa-github-generator's reusable workflow,
# not by release.yml: the certificate's subject is the generator's workflow
# (at whatever tag release.yml pins), while the source repository, ref and
# build config (the caller, release.yml) are checked through the Fulcio
# extensions. The generator always runs on GitHub-hosted runners.
identity "slsa-generator" {
  github {
    repository        = var.repository
    workflow          = "release.yml"
    ref               = local.tag
    signer_repository = "slsa-framework/slsa-github-generator"
    signer_workflow   = "generator_generic_slsa3.yml"
    runner            = "github-hosted"
  }
}

# --- Release blobs, each with its cosign sign-blob bundle --------------------
# Without bundle = …, a blob's bundle is <path>.sigstore.json, then
# <path>.bundle (cosign's older bundle JSON is read too).

blob "libvmaf" {
  path     = "dist/libvmaf.so"
  identity = identity.release
}

blob "vmaf-cli" {
  path     = "dist/vmaf"
  identity = identity.release
}

blob "models" {
  path     = "dist/models.tar.gz"
  identity = identity.release
}

# --- SLSA L3 provenance of the same files -------------------------------------
# A second block per file: the signature above proves who signed the file, this
# one that the generator's provenance lists the file's sha256 among its
# subjects and says it was built from this repository at this tag
# (slsa-verifier verify-artifact --source-uri … --source-tag … --builder-id …).
# builder_id without @ref accepts any release of the generator.

blob "libvmaf-provenance" {
  path     = "dist/libvmaf.so"
  bundle   = local.provenance
  identity = identity.slsa-generator
  provenance {
    builder_id        = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
    source_repository = var.repository
    source_ref        = local.tag
  }
}

blob "vmaf-cli-provenance" {
  path     = "dist/vmaf"
  bundle   = local.provenance
  identity = identity.slsa-generator
  provenance {
    builder_id        = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
    source_repository = var.repository
    source_ref        = local.tag
  }
}

blob "models-provenance" {
  path     = "dist/models.tar.gz"
  bundle   = local.provenance
  identity = identity.slsa-generator
  provenance {
    builder_id        = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
    source_repository = var.repository
    source_ref        = local.tag
  }
}

# --- Optional model files, vouched for by the signed SHA256SUMS ---------------
# The u2netp mirror files have no bundle of their own: SHA256SUMS must list the
# file with the same sha256, and SHA256SUMS itself must carry a signature by
# the release workflow (dist/SHA256SUMS.sigstore.json). Policies have no
# conditional blocks yet: when a release does not ship a file, remove its
# block, or the check fails ("… is not listed").

blob "u2netp-onnx" {
  path      = "dist/u2netp_mirror.onnx"
  checksums = "dist/SHA256SUMS"
  identity  = identity.release
}

# blob "u2netp-pth" {
#   path      = "dist/u2netp_mirror.pth"
#   checksums = "dist/SHA256SUMS"
#   identity  = identity.release
# }

# --- GitHub artifact attestations (actions/attest-build-provenance) -----------
# gh attestation verify fetches these from the GitHub API; vmafx-trust reads
# the file `gh attestation download dist/libvmaf.so --repo lusoris/vmaf` writes
# (named sha256:<hex>.jsonl, one bundle per line; at least one must verify).
# Rename it, then uncomment:
#
# blob "libvmaf-attestation" {
#   path     = "dist/libvmaf.so"
#   bundle   = "dist/libvmaf.so.attestations.jsonl"
#   identity = identity.release
#   attestation {
#     predicate_type = "https://slsa.dev/provenance/v1"
#   }
# }

# --- Container images (docs/images.md) -------------------------------------------
# Every platform of the multi-arch index must be signed by the release workflow
# and carry an SPDX SBOM and SLSA provenance (an attestation of the index covers
# the platforms it lists). One report row per platform.

image "cpu" {
  ref          = "ghcr.io/${var.repository}:${var.version}"
  platforms    = "all"
  identity     = identity.release
  attestations = ["https://spdx.dev/Document", "https://slsa.dev/provenance/v1"]
}

# --- PyPI (docs/pypi.md) ------------------------------------------------------------
# Every distribution of vmaf-mcp at this version, published by the release
# workflow in the pypi environment through Trusted Publishing (PEP 740). The
# publisher block is the identity: the host expands it itself.

pypi "vmaf-mcp" {
  version = var.version
  publisher {
    kind        = "github"
    repository  = var.repository
    workflow    = "release.yml"
    environment = "pypi"
  }
}

# --- SBOMs (docs/sbom.md) ---------------------------------------------------------
# An sbom block checks who signed the SBOM, that it is about the artifact
# another block verified in this run, and what it lists. The referenced block
# runs first; when it does not pass, neither does the sbom block.

# The SPDX SBOM attestations of the CPU image (cosign attest --type spdxjson,
# or attest-sbom with push-to-registry), bound to the digests image.cpu
# verified: one row for the index and one per platform. Each part needs an
# SBOM attestation of its own digest: an SBOM of the index does not describe
# what a platform's image contains.
sbom "cpu-image" {
  image    = image.cpu
  format   = "spdx"
  identity = identity.release
  content {
    deny_licenses  = ["AGPL-3.0-only", "AGPL-3.0-or-later"]
    min_components = 1 # an SBOM that lists nothing fails
  }
}

# The SBOM attestation of libvmaf.so, made with
#   cosign attest-blob --type spdxjson --predicate libvmaf.so.spdx.json \
#     --new-bundle-format --bundle dist/libvmaf.so.sbom.sigstore.json dist/libvmaf.so
# Its statement must name the sha256 that blob.libvmaf verified.
sbom "libvmaf" {
  blob     = blob.libvmaf
  bundle   = "dist/libvmaf.so.sbom.sigstore.json"
  format   = "spdx"
  identity = identity.release
  content {
    deny_licenses = ["AGPL-3.0-only", "AGPL-3.0-or-later"]
  }
}

# If the release signs the SBOM file itself instead (cosign sign-blob, bundle
# dist/libvmaf.so.spdx.json.sigstore.json), the SPDX document's described
# package must name the sha256 that blob.libvmaf verified:
#
# sbom "libvmaf-spdx" {
#   path      = "dist/libvmaf.so.spdx.json"
#   describes = blob.libvmaf
#   identity  = identity.release
# }
