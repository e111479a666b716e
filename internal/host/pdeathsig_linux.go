package host

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal asks Linux to kill the plugin if the host dies without
// cleaning up (the plugin also watches its parent pid itself).
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
