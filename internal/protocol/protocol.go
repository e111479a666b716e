// Package protocol holds what both sides of the plugin protocol share: the
// go-plugin handshake, the name the verifier service is dispensed under,
// the message limit, the configuration Serve takes its options into, and
// the copies that make a message own its memory. The plugin side is
// pkg/sdk, the host side internal/pluginclient; the messages and the
// service are generated into internal/pluginv1 from
// proto/vmafx/plugin/v1/plugin.proto.
package protocol

import (
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/progresshub"
)

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

// ServeConfig is what sdk.Serve's options set.
type ServeConfig struct {
	// Logger is go-plugin's logger in the plugin process; nil: JSON on
	// stderr at level Warn.
	Logger hclog.Logger
	// InProcess, when set, makes Serve build the plugin's server, hand it
	// to InProcess and return, instead of serving it to a host over
	// go-plugin: the host then calls the server inside its own process
	// (pluginclient.ServeInProcess).
	InProcess func(pb.VerifierServer)
	// Progress is the hub the server's progress reports go through; nil: a
	// new one. Tests set it to see the server's Progress streams subscribe.
	Progress *progresshub.Hub
}
