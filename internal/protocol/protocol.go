// Package protocol holds what both sides of the plugin protocol share: the
// go-plugin handshake, the name the verifier service is dispensed under,
// the message limit, and the copies that make a message own its memory.
// The messages and the service are generated into internal/pluginv1 from
// proto/vmafx/plugin/v1/plugin.proto.
package protocol

import goplugin "github.com/hashicorp/go-plugin"

// Version is the plugin protocol's major version (sdk.ProtocolVersion).
const Version = 1

// Handshake is the go-plugin handshake of host and plugins, a new value each
// call so that no caller changes another's. The cookie only guards against
// running a plugin binary by hand; it is not a security feature.
func Handshake() goplugin.HandshakeConfig {
	return goplugin.HandshakeConfig{
		ProtocolVersion:  Version,
		MagicCookieKey:   "VMAFX_TRUST_PLUGIN",
		MagicCookieValue: "6f1d2c0a-verifier-plugin",
	}
}

// PluginName is the name under which the verifier service is dispensed.
const PluginName = "verifier"

// MaxMessageSize bounds a message either way. Evidence (bundles) is small;
// files and images never cross the protocol.
const MaxMessageSize = 64 << 20
