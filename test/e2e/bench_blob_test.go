//go:build linux

package e2e

// Benchmarks of release blobs: peak memory verifying a
// 1 GiB blob, and a 50-blob offline policy against 50 `cosign verify-blob`
// invocations. Both drive the built binary (TestMain's `binary`) and, when it
// is installed, the real cosign v2.6.5 CLI on the same files and bundles.
// Linux only: peak RSS comes from wait4's rusage (ru_maxrss in KiB) and is
// cross-checked against /proc. docs/benchmarks.md explains and records the
// figures; `make bench` runs them.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
)

const (
	bbSubject = "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"
	bbIssuer  = "https://token.actions.githubusercontent.com"
)

// bbCosignPath finds the real cosign CLI: $COSIGN, then
// /tmp/cosign-bin/cosign, then build/tools/cosign (`make cosign`). "" when
// there is none: the benchmarks then measure vmafx-trust alone.
func bbCosignPath() string {
	cands := []string{os.Getenv("COSIGN"), "/tmp/cosign-bin/cosign", filepath.Join(repoRoot, "build", "tools", "cosign")}
	for _, p := range cands {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// bbCosign returns the cosign CLI and the environment to run it in (a
// private HOME and TUF root, so that it neither reads nor writes the user's),
// or "" after logging why the cosign half is skipped.
func bbCosign(b *testing.B) (string, []string) {
	b.Helper()
	cosign := bbCosignPath()
	if cosign == "" {
		b.Log("cosign not found ($COSIGN, /tmp/cosign-bin/cosign, build/tools/cosign; `make cosign` installs it): measuring vmafx-trust only")
		return "", nil
	}
	home := b.TempDir()
	env := append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"))
	out, _ := exec.Command(cosign, "version").CombinedOutput()
	version := "unknown version"
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "GitVersion:") {
			version = strings.TrimSpace(strings.TrimPrefix(l, "GitVersion:"))
		}
	}
	b.Logf("cosign: %s (%s)", cosign, version)
	return cosign, env
}

// bbEnv is the environment vmafx-trust runs in: no user config, no plugins
// from the user's path, an empty cache.
func bbEnv(b *testing.B) []string {
	dir := b.TempDir()
	return append(os.Environ(),
		"VMAFX_TRUST_PLUGIN_PATH="+dir, "XDG_CONFIG_HOME="+dir, "VMAFX_TRUST_CACHE_DIR="+dir)
}

// bbRun is one finished process.
type bbRun struct {
	elapsed   time.Duration
	maxRSSKiB int64 // ru_maxrss from wait4 (only when run through the launcher)
	floorKiB  int64 // the launcher's own VmHWM, the least maxRSSKiB can be
}

// bbExec runs name with args and times it. A non-zero exit is an error
// carrying the output.
func bbExec(env []string, name string, args ...string) (bbRun, error) {
	start := time.Now()
	out, err := bbCommand(env, name, args...).CombinedOutput()
	r := bbRun{elapsed: time.Since(start)}
	if err != nil {
		return r, fmt.Errorf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return r, nil
}

func bbCommand(env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.WaitDelay = time.Second
	return cmd
}

// bbLauncherSource is rsslaunch, the process the peak-RSS benchmark starts
// the verifiers from. It runs a command, waits for it and writes the
// command's ru_maxrss (KiB), wall time (ns) and its own VmHWM (KiB) to a
// file, then exits with the command's status.
//
// Why not read ProcessState.SysUsage in the benchmark itself: os/exec starts
// a child with vfork (CLONE_VM), and exec folds the high-water mark of the
// memory the child shared until then, its parent's, into the child's maxrss.
// A child of the benchmark process would report at least the benchmark's
// own peak (30 MiB and more, 1 GiB right after signing the 1 GiB file); a
// child of rsslaunch reports at least rsslaunch's, about 2 MiB.
const bbLauncherSource = `package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rsslaunch RESULT COMMAND [ARG...]")
		os.Exit(125)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "rsslaunch:", err)
		os.Exit(125)
	}
	var hwm int64
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range bytes.Split(status, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("VmHWM:")) {
			fmt.Sscanf(string(l), "VmHWM: %d kB", &hwm)
		}
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	res := fmt.Sprintf("%d %d %d\n", ru.Maxrss, elapsed.Nanoseconds(), hwm)
	if err := os.WriteFile(os.Args[1], []byte(res), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "rsslaunch:", err)
		os.Exit(125)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
`

// bbLauncher builds rsslaunch into a temp dir (a module of its own, no
// dependencies) and returns its path.
func bbLauncher(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module rsslaunch\n\ngo 1.22\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(bbLauncherSource), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", "rsslaunch", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building rsslaunch: %v\n%s", err, out)
	}
	return filepath.Join(dir, "rsslaunch")
}

// bbExecRSS runs name with args through the launcher and returns its wall
// time and peak RSS. When watch is not nil it gets the launcher's pid and
// runs until the launcher has been waited for.
func bbExecRSS(launcher string, env []string, watch func(pid int, done <-chan struct{}), name string, args ...string) (bbRun, error) {
	f, err := os.CreateTemp("", "rsslaunch-*.txt")
	if err != nil {
		return bbRun{}, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := bbCommand(env, launcher, append([]string{f.Name(), name}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return bbRun{}, err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	if watch != nil {
		wg.Add(1)
		go func() { defer wg.Done(); watch(cmd.Process.Pid, done) }()
	}
	err = cmd.Wait()
	close(done)
	wg.Wait()
	if err != nil {
		return bbRun{}, fmt.Errorf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.Bytes())
	}
	res, err := os.ReadFile(f.Name())
	if err != nil {
		return bbRun{}, err
	}
	var r bbRun
	var ns int64
	if _, err := fmt.Sscan(string(res), &r.maxRSSKiB, &ns, &r.floorKiB); err != nil {
		return bbRun{}, fmt.Errorf("rsslaunch result %q: %v", res, err)
	}
	r.elapsed = time.Duration(ns)
	return r, nil
}

// bbDeterministic returns n pseudo-random bytes from a fixed seed.
func bbDeterministic(n int, seed byte) []byte {
	data := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h', seed}).Read(data)
	return data
}

// bbSigned writes data to dir/name, signs it with ss and writes the bundle
// to dir/name.sigstore.json. It returns both paths.
func bbSigned(b *testing.B, ss *testsigstore.Sigstore, dir, name string, data []byte) (file, bundle string) {
	b.Helper()
	file = filepath.Join(dir, name)
	bundle = file + ".sigstore.json"
	bj, err := ss.SignBlob(bbSubject, bbIssuer, data)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(bundle, bj, 0o644); err != nil {
		b.Fatal(err)
	}
	return file, bundle
}

// bbTrustedRoot writes ss's trusted_root.json into dir.
func bbTrustedRoot(b *testing.B, ss *testsigstore.Sigstore, dir string) string {
	b.Helper()
	root, err := ss.TrustedRootJSON()
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(p, root, 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// bbCosignArgs is the cosign v2.6.5 command line for an offline check of a
// testsigstore bundle: the bundle and trusted root are given, the test CA
// issues no SCTs (the root lists no CT logs, so --insecure-ignore-sct), and
// the bundle's tlog entry carries its inclusion proof and promise, so no
// Rekor query is needed. v2.6.5 reads a v0.3 bundle through --bundle without
// --new-bundle-format when --trusted-root is given.
func bbCosignArgs(file, bundle, root string) []string {
	return []string{"verify-blob", file, "--bundle", bundle, "--trusted-root", root,
		"--certificate-identity", bbSubject, "--certificate-oidc-issuer", bbIssuer,
		"--insecure-ignore-sct", "--offline"}
}

// BenchmarkVerifyBlob1GiBPeakRSS verifies a signed 1 GiB file with
// `vmafx-trust verify-blob … --offline` per iteration and reports its peak
// resident set size: peak-RSS-MiB, the largest over the iterations, target
// < 64 MiB. The built-in blob plugin runs in the host process by default;
// the figure is wait4's ru_maxrss of the vmafx-trust process, which on
// Linux also covers plugin processes it waited for (the largest of them,
// not their sum), read through rsslaunch (see bbLauncherSource) so that the
// benchmark's own memory does not leak into it.
//
// Untimed runs check the figure against /proc (bbCheckRusage): the first,
// with the built-ins in processes of their own (VMAFX_TRUST_ISOLATE_BUILTINS),
// makes the plugin, not the host, large, and fails the benchmark if
// ru_maxrss misses the plugin; the second watches the default 1 GiB
// verification (proc-HWM-MiB); the third watches it with the plugin in its
// own process and reports the VmHWM of the host and of the plugin
// (isolated-host-HWM-MiB, isolated-plugin-HWM-MiB) and their sum
// (isolated-sum-HWM-MiB, the most both can hold together). With cosign
// present each iteration also runs `cosign verify-blob` on the same file
// and bundle, timer stopped, through the same launcher: cosign-peak-RSS-MiB
// and cosign-ns/op.
func BenchmarkVerifyBlob1GiBPeakRSS(b *testing.B) {
	dir := b.TempDir()
	ss, err := testsigstore.New()
	if err != nil {
		b.Fatal(err)
	}
	root := bbTrustedRoot(b, ss, dir)
	data := bbDeterministic(1<<30, 0)
	file, bundle := bbSigned(b, ss, dir, "vmaf-1GiB.tar.gz", data)
	data = nil
	runtime.GC()
	debug.FreeOSMemory()

	launcher := bbLauncher(b)
	env := bbEnv(b)
	verifyArgs := func(file, bundle string) []string {
		return []string{"verify-blob", file, "--bundle", bundle, "--trusted-root", root,
			"--certificate-identity", bbSubject, "--certificate-oidc-issuer", bbIssuer, "--offline"}
	}
	cosign, cosignEnv := bbCosign(b)

	// 1. A plugin much larger than its host: the bundle file holds the
	// blob's bundle and then a 24 MiB JSON line that is no bundle. The blob
	// plugin reads and parses all of it; the host only gets the bundle that
	// verified.
	small, smallBundle := bbSigned(b, ss, dir, "small.bin", bbDeterministic(1<<20, 1))
	var line bytes.Buffer
	if err := json.Compact(&line, []byte(bbMustRead(b, smallBundle))); err != nil {
		b.Fatal(err)
	}
	line.WriteString("\n{\"mediaType\": \"not a bundle\", \"padding\": \"")
	line.Write(bytes.Repeat([]byte("A"), 24<<20))
	line.WriteString("\"}\n")
	padded := filepath.Join(dir, "small.bin.padded.jsonl")
	if err := os.WriteFile(padded, line.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	isolated := append(env[:len(env):len(env)], "VMAFX_TRUST_ISOLATE_BUILTINS=1")
	host, plugin, maxrss := bbCheckRusage(b, launcher, isolated, true, verifyArgs(small, padded))
	switch {
	case plugin < host+16<<10:
		b.Logf("ru_maxrss check inconclusive: the plugin (VmHWM %d KiB) is not much larger than the host (%d KiB)", plugin, host)
	case maxrss+bbSlackKiB < plugin:
		b.Errorf("ru_maxrss %d KiB misses the plugin (VmHWM %d KiB; host %d KiB): peak-RSS-MiB would not cover plugins", maxrss, plugin, host)
	default:
		b.Logf("ru_maxrss covers the plugin: host VmHWM %d KiB, plugin VmHWM %d KiB, wait4 ru_maxrss %d KiB", host, plugin, maxrss)
	}

	// 2. The 1 GiB verification, watched: one process.
	hwm, _, maxrss := bbCheckRusage(b, launcher, env, false, verifyArgs(file, bundle))
	if maxrss+bbSlackKiB < hwm {
		b.Errorf("ru_maxrss %d KiB is below the VmHWM seen (%d KiB)", maxrss, hwm)
	}
	// 3. The same with the plugin in a process of its own.
	hostHWM, pluginHWM, maxrss := bbCheckRusage(b, launcher, isolated, true, verifyArgs(file, bundle))
	if maxrss+bbSlackKiB < max(hostHWM, pluginHWM) {
		b.Errorf("ru_maxrss %d KiB is below a VmHWM seen (host %d KiB, plugin %d KiB)", maxrss, hostHWM, pluginHWM)
	}

	var peak, floor, cosignPeak int64
	var cosignTime time.Duration
	cosignRuns := 0
	for b.Loop() {
		r, err := bbExecRSS(launcher, env, nil, binary, verifyArgs(file, bundle)...)
		if err != nil {
			b.Fatal(err)
		}
		peak, floor = max(peak, r.maxRSSKiB), max(floor, r.floorKiB)
		if cosign != "" {
			b.StopTimer()
			c, err := bbExecRSS(launcher, cosignEnv, nil, cosign, bbCosignArgs(file, bundle, root)...)
			if err != nil {
				b.Fatal(err)
			}
			cosignPeak = max(cosignPeak, c.maxRSSKiB)
			cosignTime += c.elapsed
			cosignRuns++
			b.StartTimer()
		}
	}
	if peak <= floor+bbSlackKiB {
		b.Errorf("peak RSS %d KiB is no more than the launcher's own (%d KiB): it measures the launcher", peak, floor)
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(hwm)/1024, "proc-HWM-MiB")
	b.ReportMetric(float64(hostHWM)/1024, "isolated-host-HWM-MiB")
	b.ReportMetric(float64(pluginHWM)/1024, "isolated-plugin-HWM-MiB")
	b.ReportMetric(float64(hostHWM+pluginHWM)/1024, "isolated-sum-HWM-MiB")
	if cosignRuns > 0 {
		b.ReportMetric(float64(cosignPeak)/1024, "cosign-peak-RSS-MiB")
		b.ReportMetric(float64(cosignTime.Nanoseconds())/float64(cosignRuns), "cosign-ns/op")
	}
}

// bbSlackKiB is how far ru_maxrss may sit below a VmHWM read from /proc:
// the kernel keeps RSS in per-CPU counters, which the exit path reads
// approximately; a few hundred KiB of difference is usual.
const bbSlackKiB = 2 << 10

// bbCheckRusage runs vmafx-trust with args through the launcher once,
// watching /proc, and returns the VmHWM seen of the vmafx-trust process and
// of its largest plugin process (which must exist when wantPlugin), and the
// ru_maxrss wait4 reported. Polling reads a
// VmHWM no larger than the true peak (it can miss the last milliseconds of
// a process, more on a loaded machine), so a VmHWM above ru_maxrss
// disproves ru_maxrss, while one below it proves nothing.
func bbCheckRusage(b *testing.B, launcher string, env []string, wantPlugin bool, args []string) (host, plugin, maxrss int64) {
	b.Helper()
	var procs map[int]*bbProc
	watch := func(pid int, done <-chan struct{}) { procs = bbWatch(pid, done) }
	r, err := bbExecRSS(launcher, env, watch, binary, args...)
	if err != nil {
		b.Fatal(err)
	}
	var launcherPid, hostPid int
	for pid, p := range procs {
		if pid == p.root {
			launcherPid = pid
		}
	}
	for pid, p := range procs {
		if p.parent == launcherPid && pid != launcherPid {
			hostPid, host = pid, p.hwmKiB
		}
	}
	for pid, p := range procs {
		if pid != launcherPid && pid != hostPid {
			b.Logf("/proc: %d (%s, parent %d): VmHWM %d KiB", pid, p.comm, p.parent, p.hwmKiB)
			plugin = max(plugin, p.hwmKiB)
		}
	}
	b.Logf("/proc: vmafx-trust %d: VmHWM %d KiB; launcher VmHWM %d KiB; wait4 ru_maxrss %d KiB",
		hostPid, host, r.floorKiB, r.maxRSSKiB)
	switch {
	case hostPid == 0:
		b.Fatalf("/proc polling did not see vmafx-trust under the launcher (%d processes seen)", len(procs))
	case wantPlugin && plugin == 0:
		b.Fatalf("/proc polling did not see vmafx-trust's plugin process under the launcher (%d processes seen)", len(procs))
	case !wantPlugin && plugin != 0:
		b.Fatalf("vmafx-trust started %d plugin processes; the built-in blob plugin should run in process", len(procs)-2)
	}
	return host, plugin, r.maxRSSKiB
}

func bbMustRead(b *testing.B, p string) string {
	b.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// bbProc is what /proc showed of one process of the watched tree.
type bbProc struct {
	root   int // the watched process
	parent int
	comm   string
	hwmKiB int64 // the largest VmHWM seen
}

// bbWatch polls /proc every millisecond until done is closed and returns
// the watched process and every descendant it saw, each with the last (so
// largest) VmHWM it could read. A process is read until it is reaped; a
// zombie has no VmHWM any more, so what is kept is its value shortly before
// it exited.
func bbWatch(rootPid int, done <-chan struct{}) map[int]*bbProc {
	seen := map[int]*bbProc{}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		parents := procParents()
		tree := map[int]bool{rootPid: true}
		for grew := true; grew; {
			grew = false
			for pid, ppid := range parents {
				if tree[ppid] && !tree[pid] {
					tree[pid], grew = true, true
				}
			}
		}
		for pid := range tree {
			hwm, comm, ok := bbStatus(pid)
			if !ok {
				continue
			}
			p := seen[pid]
			if p == nil {
				p = &bbProc{root: rootPid, parent: parents[pid], comm: comm}
				seen[pid] = p
			}
			p.hwmKiB = max(p.hwmKiB, hwm)
		}
		select {
		case <-done:
			return seen
		case <-tick.C:
		}
	}
}

// bbStatus reads VmHWM (KiB) and the command name of pid.
func bbStatus(pid int) (hwmKiB int64, comm string, ok bool) {
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, "", false
	}
	for _, l := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(l, ":")
		switch k {
		case "Name":
			comm = strings.TrimSpace(v)
		case "VmHWM":
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				hwmKiB, ok = n, true
			}
		}
	}
	return hwmKiB, comm, ok
}

// BenchmarkPolicy50Blobs checks one policy of 50 signed 1 MiB blobs with
// `vmafx-trust check POLICY --offline` per iteration (ns/op, vmafx-ms), and
// with the timer stopped runs, on the same files and bundles, 50 sequential
// `cosign verify-blob` invocations (cosign50-ms) and one more on its own
// (cosign1-ms). speedup = cosign50 / vmafx (target ≥ 20);
// ratio-to-one-cosign = vmafx / cosign1 (target ≤ 2).
//
// The bundles carry an RFC 3161 timestamp besides the log entry. The
// policy's default verifies both; cosign's command line (no
// --use-signed-timestamps) takes the log's integration time and leaves the
// timestamp unchecked. A second policy that asks for exactly that
// (time_source = "tlog") runs with the timer stopped and is reported as
// same-checks-ms, same-checks-speedup and same-checks-ratio-to-one-cosign.
func BenchmarkPolicy50Blobs(b *testing.B) {
	const blobs = 50
	dir := b.TempDir()
	ss, err := testsigstore.New()
	if err != nil {
		b.Fatal(err)
	}
	root := bbTrustedRoot(b, ss, dir)
	if err := os.Mkdir(filepath.Join(dir, "dist"), 0o755); err != nil {
		b.Fatal(err)
	}
	var policy, sameChecks strings.Builder
	for _, w := range []*strings.Builder{&policy, &sameChecks} {
		fmt.Fprintf(w, "trust_root \"local\" {\n  trusted_root = \"trusted_root.json\"\n}\n\n")
		fmt.Fprintf(w, "identity \"release\" {\n  issuer  = %q\n  subject = %q\n}\n", bbIssuer, bbSubject)
	}
	files := make([]string, blobs)
	bundles := make([]string, blobs)
	for i := range blobs {
		name := fmt.Sprintf("blob-%02d.bin", i)
		files[i], bundles[i] = bbSigned(b, ss, filepath.Join(dir, "dist"), name, bbDeterministic(1<<20, byte(i+1)))
		block := fmt.Sprintf("\nblob %q {\n  path     = \"dist/%s\"\n  bundle   = \"dist/%s.sigstore.json\"\n  identity = identity.release\n", name, name, name)
		policy.WriteString(block + "}\n")
		sameChecks.WriteString(block + "  verification {\n    time_source = \"tlog\"\n  }\n}\n")
	}
	policyPath := filepath.Join(dir, "policy.hcl")
	sameChecksPath := filepath.Join(dir, "policy-log-time.hcl")
	for path, text := range map[string]string{policyPath: policy.String(), sameChecksPath: sameChecks.String()} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	env := bbEnv(b)
	cosign, cosignEnv := bbCosign(b)

	// Once each, untimed: every blob passes.
	for _, p := range []string{policyPath, sameChecksPath} {
		out, err := exec.Command(binary, "check", p, "--offline", "--format", "json").Output()
		if err != nil {
			b.Fatalf("check %s: %v\n%s", p, err, out)
		}
		var rep jsonReport
		if err := json.Unmarshal(out, &rep); err != nil {
			b.Fatalf("report: %v\n%s", err, out)
		}
		if rep.Summary.Passed != blobs || rep.Summary.Total != blobs {
			b.Fatalf("check %s: %d of %d passed, want %d of %d\n%s", p, rep.Summary.Passed, rep.Summary.Total, blobs, blobs, out)
		}
	}

	var vmafxTime, sameChecksTime, cosign50Time, cosign1Time time.Duration
	runs := 0
	runSameChecks := func() {
		r, err := bbExec(env, binary, "check", sameChecksPath, "--offline")
		if err != nil {
			b.Fatal(err)
		}
		sameChecksTime += r.elapsed
	}
	for b.Loop() {
		// The two policies take turns going first.
		sameFirst := runs%2 == 1
		if sameFirst {
			b.StopTimer()
			runSameChecks()
			b.StartTimer()
		}
		r, err := bbExec(env, binary, "check", policyPath, "--offline")
		if err != nil {
			b.Fatal(err)
		}
		vmafxTime += r.elapsed
		runs++
		b.StopTimer()
		if !sameFirst {
			runSameChecks()
		}
		if cosign == "" {
			b.StartTimer()
			continue
		}
		for i := range blobs {
			c, err := bbExec(cosignEnv, cosign, bbCosignArgs(files[i], bundles[i], root)...)
			if err != nil {
				b.Fatal(err)
			}
			cosign50Time += c.elapsed
		}
		c, err := bbExec(cosignEnv, cosign, bbCosignArgs(files[0], bundles[0], root)...)
		if err != nil {
			b.Fatal(err)
		}
		cosign1Time += c.elapsed
		b.StartTimer()
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(runs) }
	b.ReportMetric(ms(vmafxTime), "vmafx-ms")
	b.ReportMetric(ms(sameChecksTime), "same-checks-ms")
	if cosign != "" {
		b.ReportMetric(ms(cosign50Time), "cosign50-ms")
		b.ReportMetric(ms(cosign1Time), "cosign1-ms")
		b.ReportMetric(cosign50Time.Seconds()/vmafxTime.Seconds(), "speedup")
		b.ReportMetric(vmafxTime.Seconds()/cosign1Time.Seconds(), "ratio-to-one-cosign")
		b.ReportMetric(cosign50Time.Seconds()/sameChecksTime.Seconds(), "same-checks-speedup")
		b.ReportMetric(sameChecksTime.Seconds()/cosign1Time.Seconds(), "same-checks-ratio-to-one-cosign")
	}
}
