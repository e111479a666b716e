package sdk

// Progress returns the function a plugin calls while it transfers something
// large for this artifact, with the bytes done so far and the expected total
// (-1 when unknown); label says what moves ("libvmaf.so"). The host shows
// large transfers as a progress bar when its error output is a terminal. The
// function matches fetch.Options.Progress, is safe for concurrent use, sends
// at most ten reports a second (and always the one that completes the
// transfer), and does nothing when no host listens.
func (r *Request) Progress(label string) func(done, total int64) {
	if r.progress == nil {
		return func(int64, int64) {}
	}
	return r.progress.Reporter(r.Kind, r.Name, label)
}
