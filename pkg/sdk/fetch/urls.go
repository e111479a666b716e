package fetch

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// parseURL parses s without ever echoing it in an error (it may hold credentials).
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err
		}
		return nil, errors.New("malformed")
	}
	return u, nil
}

// parseTarget parses raw and applies the scheme rule; it returns the URL and its redacted form.
func parseTarget(raw string, allowHTTP bool) (*url.URL, string, error) {
	u, err := parseURL(raw)
	if err != nil {
		shown := redactRaw(raw)
		return nil, shown, &Error{URL: shown, Msg: "invalid URL: " + err.Error(), Err: err}
	}
	shown := redact(u)
	if err := checkTarget(u, allowHTTP); err != nil {
		e := &Error{URL: shown, Msg: err.Error(), Err: err}
		if errors.Is(err, ErrInsecure) {
			e.Kind, e.Err = ErrInsecure, nil
		}
		return nil, shown, e
	}
	return u, shown, nil
}

// insecureError explains the http rule; it matches ErrInsecure.
type insecureError struct{ host string }

func (e *insecureError) Error() string {
	return fmt.Sprintf("plain http to %s is refused: use https (plain http is allowed only to loopback hosts unless explicitly permitted)", e.host)
}
func (e *insecureError) Is(target error) bool { return target == ErrInsecure }

// checkTarget: https anywhere, http to loopback hosts (anywhere with allowHTTP), nothing else.
func checkTarget(u *url.URL, allowHTTP bool) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !allowHTTP && !isLoopback(u.Hostname()) {
			return &insecureError{host: u.Hostname()}
		}
	case "":
		return errors.New("not a URL (no http or https scheme)")
	default:
		return fmt.Errorf("unsupported URL scheme %q (want https, or http to a loopback host)", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

// isLoopback: localhost, or a literal address in 127.0.0.0/8 or ::1 (also IPv4-mapped).
// Other names are not resolved: a name is trusted to be local only if it is "localhost".
func isLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

// redact renders u for messages: userinfo and query values replaced, fragment dropped.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(redactedText)
	}
	if c.RawQuery != "" {
		c.RawQuery = redactQuery(c.RawQuery)
	}
	c.ForceQuery = false
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// redactQuery keeps the keys and replaces every value (a part without '=' may itself be a secret).
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if p == "" {
			continue
		}
		if k, _, ok := strings.Cut(p, "="); ok {
			parts[i] = k + "=" + redactedText
		} else {
			parts[i] = redactedText
		}
	}
	return strings.Join(parts, "&")
}

// redactRaw is a best effort for strings that do not parse.
func redactRaw(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	rest := s
	prefix := ""
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	host, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = redactedText + "@" + host[i+1:]
	}
	return prefix + host + path
}
