package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errStalled cancels an attempt that received nothing for the idle timeout.
var errStalled = errors.New("stalled")

// attemptErr describes one failed attempt; the retry loop turns the last one into an *Error.
type attemptErr struct {
	msg        string
	kind       error // ErrTooLarge, ErrNotFound, ErrInsecure, ErrUnavailable or nil
	cause      error
	status     int
	transient  bool          // worth retrying
	retryAfter time.Duration // from Retry-After, < 0 when absent
	progressed bool          // the attempt got at least progressStep further than any before
}

// redirectError is returned by the CheckRedirect wrapper.
type redirectError struct {
	to  string
	err error
}

func (e *redirectError) Error() string { return "redirected to " + e.to + ": " + e.err.Error() }
func (e *redirectError) Unwrap() error { return e.err }

// transfer is one GET download, across its attempts.
type transfer struct {
	cfg   *config
	u     *url.URL
	shown string
	limit int64
	sink  sink
	buf   []byte

	off       int64  // bytes accepted into the sink
	total     int64  // expected size, -1 when unknown
	validator string // If-Range value when the server allows resuming, else ""
	high      int64  // furthest offset ever reached
}

func newTransfer(cfg *config, u *url.URL, shown string, limit int64, s sink) *transfer {
	n := chunkSize
	if limit+1 < int64(n) {
		n = int(limit + 1)
	}
	return &transfer{cfg: cfg, u: u, shown: shown, limit: limit, sink: s, buf: make([]byte, n), total: -1}
}

func (t *transfer) run(ctx context.Context) error {
	return t.cfg.run(ctx, t.shown, func(ctx context.Context) *attemptErr {
		before := t.high
		ae := t.attempt(ctx)
		if ae != nil {
			ae.progressed = t.high-before >= progressStep
		}
		return ae
	})
}

func (t *transfer) progress() {
	if t.cfg.progress != nil {
		t.cfg.progress(t.off, t.total)
	}
}

// where renders the position, as in " after 512 MiB of 1 GiB".
func (t *transfer) where() string {
	if t.total >= 0 {
		return fmt.Sprintf(" after %s of %s", formatSize(t.off), formatSize(t.total))
	}
	return fmt.Sprintf(" after %s", formatSize(t.off))
}

func (t *transfer) tooLarge(size int64, how string) *attemptErr {
	msg := fmt.Sprintf("body %sexceeds the %s limit", how, formatSize(t.limit))
	if size >= 0 {
		msg = fmt.Sprintf("body of %s %sexceeds the %s limit", exactSize(size), how, formatSize(t.limit))
	}
	if t.cfg.hint != "" {
		msg += " (" + t.cfg.hint + ")"
	}
	return &attemptErr{msg: msg, kind: ErrTooLarge}
}

func (t *transfer) attempt(ctx context.Context) *attemptErr {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, t.u.String(), nil)
	if err != nil {
		return &attemptErr{msg: "building the request: " + err.Error(), cause: err}
	}
	t.cfg.setHeaders(req)
	ranged := t.off > 0 && t.validator != ""
	if ranged {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(t.off, 10)+"-")
		req.Header.Set("If-Range", t.validator)
	}
	wd := time.AfterFunc(t.cfg.idle, func() { cancel(errStalled) })
	defer wd.Stop()

	resp, err := t.cfg.client.Do(req)
	if err != nil {
		where := ""
		if t.off > 0 {
			where = t.where()
		}
		return t.cfg.transportFailure(ctx, actx, err, "request failed", where)
	}
	defer resp.Body.Close()

	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		if t.off > 0 { // not resumable, or the server ignored Range / If-Range: start over
			if err := t.sink.reset(); err != nil {
				return &attemptErr{msg: "restarting the download: " + err.Error(), cause: err}
			}
			t.off = 0
			t.progress()
		}
		t.total = resp.ContentLength
		t.validator = ""
		if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Accept-Ranges")), "bytes") {
			t.validator = strongValidator(resp.Header)
		}
		if t.total > t.limit {
			return t.tooLarge(t.total, "(Content-Length) ")
		}
		t.sink.expect(t.total)
	case code == http.StatusPartialContent && ranged:
		cr := resp.Header.Get("Content-Range")
		start, end, size, ok := parseContentRange(cr)
		if !ok || start != t.off || end != size-1 || (t.total >= 0 && size != t.total) ||
			!sameValidator(t.validator, resp.Header) {
			t.validator = "" // do not try again: restart from zero
			drain(resp)
			return &attemptErr{msg: fmt.Sprintf("server answered the resume request (Range: bytes=%d-) with a partial response that does not fit (Content-Range %q); restarting from zero", t.off, cr),
				transient: true, retryAfter: -1}
		}
		if size > t.limit {
			return t.tooLarge(size, "(Content-Range) ")
		}
		t.total = size
	case code == http.StatusPartialContent:
		drain(resp)
		return &attemptErr{msg: "server answered 206 Partial Content to a request without Range", status: code}
	case code == http.StatusRequestedRangeNotSatisfiable && ranged:
		t.validator = ""
		drain(resp)
		return &attemptErr{msg: fmt.Sprintf("server refused the resume request (Range: bytes=%d-) with %s; restarting from zero", t.off, statusText(code)),
			status: code, transient: true, retryAfter: -1}
	default:
		drain(resp)
		return statusFailure(resp, "")
	}

	// Stream the body: at most limit+1 bytes are ever read.
	for {
		p := t.buf
		if room := t.limit - t.off + 1; int64(len(p)) > room {
			p = p[:room]
		}
		n, rerr := resp.Body.Read(p)
		if n > 0 {
			wd.Reset(t.cfg.idle)
			if t.off+int64(n) > t.limit {
				return t.tooLarge(-1, "")
			}
			if _, err := t.sink.Write(p[:n]); err != nil {
				return &attemptErr{msg: "writing the download: " + err.Error(), cause: err}
			}
			t.off += int64(n)
			if t.off > t.high {
				t.high = t.off
			}
			t.progress()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return t.cfg.transportFailure(ctx, actx, rerr, "", t.where())
		}
	}
	if t.total >= 0 && t.off != t.total { // net/http already reports this as unexpected EOF
		return &attemptErr{msg: "body ended" + t.where(), transient: true, retryAfter: -1, kind: ErrUnavailable}
	}
	return nil
}

// statusFailure classifies an unwanted HTTP status.
// method, if not empty, names the request ("HEAD") in the message.
func statusFailure(resp *http.Response, method string) *attemptErr {
	code := resp.StatusCode
	answer := "server answered " + statusText(code)
	if method != "" {
		answer += " to " + method
	}
	ae := &attemptErr{msg: answer, status: code, retryAfter: -1}
	switch {
	case code == http.StatusNotFound || code == http.StatusGone:
		ae.msg = "not found (" + answer + ")"
		ae.kind = ErrNotFound
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests ||
		(code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported):
		ae.transient = true
		ae.kind = ErrUnavailable
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			ae.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
		}
	case code >= 500:
		ae.kind = ErrUnavailable
	}
	return ae
}

func statusText(code int) string {
	if s := http.StatusText(code); s != "" {
		return fmt.Sprintf("%d %s", code, s)
	}
	return strconv.Itoa(code)
}

// transportFailure classifies an error from Client.Do or a body read.
// what prefixes the description ("request failed"), where suffixes it (" after 1 MiB of 2 MiB").
func (c *config) transportFailure(ctx, actx context.Context, err error, what, where string) *attemptErr {
	join := func(desc string) string {
		if what != "" {
			desc = what + ": " + desc
		}
		return desc + where
	}
	if cerr := ctx.Err(); cerr != nil {
		return &attemptErr{msg: join("interrupted: " + cerr.Error()), cause: cerr}
	}
	if context.Cause(actx) == errStalled {
		return &attemptErr{msg: join(fmt.Sprintf("no data received for %s", c.idle)), transient: true, retryAfter: -1, kind: ErrUnavailable}
	}
	var re *redirectError
	if errors.As(err, &re) {
		ae := &attemptErr{msg: re.Error(), cause: re.err}
		if errors.Is(re.err, ErrInsecure) {
			ae.kind, ae.cause = ErrInsecure, nil
		}
		return ae
	}
	desc, transient := describe(err)
	return &attemptErr{msg: join(desc), cause: unwrapURLError(err), transient: transient, retryAfter: -1, kind: ErrUnavailable}
}

// unwrapURLError drops net/http's *url.Error, whose text repeats the unredacted URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// describe names a network failure and says whether it is worth retrying.
func describe(err error) (string, bool) {
	err = unwrapURLError(err)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "server closed the connection", true
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return "connection aborted", true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return "host " + dns.Name + " not found", false
		}
		return "DNS lookup of " + dns.Name + " failed: " + dns.Err, true
	}
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) || errors.As(err, &cie) || errors.As(err, &rhe) {
		return "TLS: " + err.Error(), false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out (" + err.Error() + ")", true
	}
	return err.Error(), true
}

// run calls attempt until it succeeds, fails for good, or the retries are used up.
func (c *config) run(ctx context.Context, shown string, attempt func(context.Context) *attemptErr) error {
	retried, strikes := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return &Error{URL: shown, Msg: "interrupted: " + err.Error(), Err: err}
		}
		ae := attempt(ctx)
		if ae == nil {
			return nil
		}
		if !ae.transient {
			return ae.final(shown, retried, false)
		}
		if ae.progressed && c.retries > 0 {
			strikes = 0
		} else {
			strikes++
		}
		if strikes > c.retries {
			return ae.final(shown, retried, true)
		}
		wait := backoff(strikes)
		if ae.retryAfter >= 0 {
			wait = min(ae.retryAfter, c.raCap)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			err := ctx.Err()
			return &Error{URL: shown, Msg: fmt.Sprintf("interrupted while waiting to retry (%s): %v", ae.msg, err), Status: ae.status, Err: err}
		case <-timer.C:
		}
		retried++
	}
}

func (ae *attemptErr) final(shown string, retried int, exhausted bool) *Error {
	e := &Error{URL: shown, Msg: ae.msg, Status: ae.status, Kind: ae.kind, Err: ae.cause}
	switch {
	case retried == 1:
		e.Msg += "; retried once"
	case retried > 1:
		e.Msg += fmt.Sprintf("; retried %d times", retried)
	case exhausted:
		e.Msg += "; not retried (retries disabled)"
	}
	if exhausted {
		e.Kind = ErrUnavailable
	}
	return e
}

// backoff before retry number strikes (1-based): 200ms, 400ms, … capped at 5s.
func backoff(strikes int) time.Duration {
	d := backoffBase
	for i := 1; i < strikes && d < backoffCap; i++ {
		d *= 2
	}
	return min(d, backoffCap)
}

// parseRetryAfter reads delay-seconds or an HTTP date; -1 when absent or malformed.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return -1
		}
		if n > 86400 {
			n = 86400
		}
		return time.Duration(n) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0)
	}
	return -1
}

// strongValidator returns what to send as If-Range: a strong ETag, else a Last-Modified date, else "".
func strongValidator(h http.Header) string {
	if et := strings.TrimSpace(h.Get("ETag")); len(et) >= 2 && et[0] == '"' && et[len(et)-1] == '"' {
		return et
	}
	if lm := strings.TrimSpace(h.Get("Last-Modified")); lm != "" {
		if _, err := http.ParseTime(lm); err == nil {
			return lm
		}
	}
	return ""
}

// sameValidator rejects a 206 whose own validator shows it comes from another version.
func sameValidator(v string, h http.Header) bool {
	if strings.HasPrefix(v, `"`) {
		et := strings.TrimSpace(h.Get("ETag"))
		return et == "" || et == v
	}
	lm := strings.TrimSpace(h.Get("Last-Modified"))
	return lm == "" || lm == v
}

// parseContentRange parses "bytes first-last/size" (a known size is required).
func parseContentRange(s string) (first, last, size int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	first, err1 = strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	last, err2 = strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	size, err3 = strconv.ParseInt(strings.TrimSpace(sz), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || first < 0 || last < first || size <= last {
		return 0, 0, 0, false
	}
	return first, last, size, true
}

// drain reads a little of an unwanted body so that the connection can be reused.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, drainLimit)
}

// formatSize renders n in binary units: "512 MiB", "1.5 GiB", "100 B".
func formatSize(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[i:i+1] + "iB"
}

// exactSize is formatSize plus the byte count when the rounding hides it.
func exactSize(n int64) string {
	s := formatSize(n)
	u := int64(1)
	for n/u >= 1024 && u < 1<<60 {
		u *= 1024
	}
	if r := n % u; r != 0 && (u > 1<<59 || r*10%u != 0) {
		s += fmt.Sprintf(" (%d bytes)", n)
	}
	return s
}
