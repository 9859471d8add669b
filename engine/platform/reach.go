package platform

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
)

// ErrUnauthorized: the platform refused hearth's credentials (a wrong,
// revoked or expired token or key). Adapters mark such an answer with
// Unauthorized, which keeps their own message; it is permanent.
var ErrUnauthorized error = &sentinel{"the platform refused the credentials"}

// unauthorized is an adapter's error marked by Unauthorized.
type unauthorized struct {
	err      error
	settings []string
}

func (e *unauthorized) Error() string        { return e.err.Error() }
func (e *unauthorized) Unwrap() error        { return e.err }
func (e *unauthorized) Is(target error) bool { return target == ErrUnauthorized }
func (e *unauthorized) Permanent() bool      { return true }

// Unauthorized marks err, an answer refusing the credentials, as
// ErrUnauthorized without changing its text. settings name the block's
// settings the platform checked (api_key, api_username), so a diagnostic
// can say which to look at, and from which variable they come.
func Unauthorized(err error, settings ...string) error {
	if err == nil {
		return nil
	}
	return &unauthorized{err: err, settings: settings}
}

// OpenError is a platform block that did not open (Registry.Open). Its
// text is the block's address and place, then the adapter's error.
type OpenError struct {
	Platform *config.Platform
	Err      error
}

func (e *OpenError) Error() string {
	return e.Platform.Addr() + where(e.Platform) + ": " + e.Err.Error()
}
func (e *OpenError) Unwrap() error { return e.Err }

// Failure is why a call never got a useful answer from a platform.
type Failure int

const (
	// FailNone: err is not a failure to reach the platform.
	FailNone Failure = iota
	// FailRefused: nothing accepts connections at the address.
	FailRefused
	// FailDNS: the host name does not resolve.
	FailDNS
	// FailTLS: the TLS handshake failed (an untrusted certificate,
	// https to a plain-http server).
	FailTLS
	// FailTimeout: the platform did not answer in time.
	FailTimeout
	// FailAuth: the platform answered, refusing the credentials.
	FailAuth
	// FailNetwork: another network failure (unreachable, reset).
	FailNetwork
)

// ConnFailure is a failure to reach a platform, or to be let in by it.
type ConnFailure struct {
	Kind Failure
	// Host is the scheme and host of the URL called (https://forum.example),
	// or the address dialled; never a path or query, which may hold a
	// token (Telegram's /bot<token>/). Empty when the error names none.
	Host string
	// Settings are the settings an auth failure names (Unauthorized).
	Settings []string
}

// DiagnoseConn tells whether err is a failure to reach a platform (or
// a refusal of the credentials), which, and where. A cancelled context
// (Ctrl-C) is none.
func DiagnoseConn(err error) (ConnFailure, bool) {
	if err == nil || errors.Is(err, context.Canceled) {
		return ConnFailure{}, false
	}
	f := ConnFailure{Host: hostOf(err)}
	var ua *unauthorized
	var dns *net.DNSError
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.As(err, &ua):
		f.Kind, f.Settings = FailAuth, ua.settings
	case errors.Is(err, ErrUnauthorized):
		f.Kind = FailAuth
	case errors.As(err, &dns) && !dns.IsTimeout:
		f.Kind = FailDNS
		if f.Host == "" {
			f.Host = dns.Name
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Kind = FailRefused
	case isTLS(err):
		f.Kind = FailTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		f.Kind = FailTimeout
	case errors.As(err, &op):
		f.Kind = FailNetwork
	default:
		return ConnFailure{}, false
	}
	if f.Host == "" && errors.As(err, &op) && op.Addr != nil {
		f.Host = op.Addr.String()
	}
	return f, true
}

// isTLS recognises a failed TLS handshake.
func isTLS(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		// net/http's own words, unexported: an https URL of a plain-http server.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// hostOf is the scheme and host of the first URL in err's chain.
func hostOf(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return ""
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Summary is the one line a diagnostic about f on the block addr starts with.
func (f ConnFailure) Summary(addr string) string {
	if f.Kind == FailAuth {
		return addr + " refused hearth's credentials"
	}
	return "Cannot reach " + addr
}

// Hint says what happened and what to check, naming p's settings and
// the variables its credentials come from, never a secret's value.
func (f ConnFailure) Hint(p *config.Platform) string {
	setting, host := urlSetting(p, f.Host)
	if f.Host != "" {
		host = f.Host
	}
	at := "the platform"
	if host != "" {
		at = host
	}
	check := "the platform's address"
	if setting != "" {
		check = "the setting " + setting
	}
	switch f.Kind {
	case FailRefused:
		return fmt.Sprintf("Nothing accepts connections at %s. Is the server running, and is %s the right address and port?", at, check)
	case FailDNS:
		return fmt.Sprintf("The host name of %s does not resolve. Check the host in %s, and that this machine's DNS works.", at, check)
	case FailTLS:
		return fmt.Sprintf("The TLS handshake with %s failed: its certificate is not trusted here (self-signed, expired or for another name), or the server does not speak https. Check that %s uses the name its certificate is for; a private CA must be in the system's trust store (or SSL_CERT_FILE).", at, check)
	case FailTimeout:
		more := fmt.Sprintf("plan and apply have no -timeout flag: where platform.%s has a timeout setting (hearth explain platform.%s), a longer one gives it more time", p.Type, p.Type)
		if v, ok := p.Settings["timeout"]; ok && !v.IsMarked() && v.Type() == cty.String {
			more = fmt.Sprintf("a slow one may need a longer timeout setting than %s", v.AsString())
		}
		return fmt.Sprintf("%s did not answer in time. Check that it is up and reachable from here (a firewall or proxy may drop the connection), and %s; %s.", at, check, more)
	case FailAuth:
		return fmt.Sprintf("%s answered, but refused the credentials. Check %s: a current credential of this platform, with the rights hearth needs, not revoked or expired.", at, credentials(p, f.Settings))
	}
	return fmt.Sprintf("The connection to %s failed. Check that this machine can reach it, and %s.", at, check)
}

// credentials names the settings an auth failure is about and the
// variables they are set from ("api_key (variable discourse_api_key:
// set HEARTH_VAR_discourse_api_key or a -var-file)"); without named
// settings, every sensitive one of the block.
func credentials(p *config.Platform, settings []string) string {
	if len(settings) == 0 {
		for name, v := range p.Settings {
			if v.IsMarked() {
				settings = append(settings, name)
			}
		}
		slices.Sort(settings)
	}
	if len(settings) == 0 {
		return "the block's credentials"
	}
	parts := make([]string, len(settings))
	for i, s := range settings {
		parts[i] = s
		if v := p.SecretVars[s]; v != "" {
			parts[i] = fmt.Sprintf("%s (variable %q: set %s%s or a -var-file)", s, v, config.EnvVarPrefix, v)
		}
	}
	return strings.Join(parts, " and ")
}

// urlSetting is p's first setting (in name order) holding an http(s)
// URL of host, or of any host when host is "", and that URL's scheme and
// host: where the address that failed was written. Sensitive settings
// are never looked at.
func urlSetting(p *config.Platform, host string) (name, urlHost string) {
	for _, name := range slices.Sorted(maps.Keys(p.Settings)) {
		v := p.Settings[name]
		if v.IsMarked() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
			continue
		}
		u, err := url.Parse(v.AsString())
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if h := u.Scheme + "://" + u.Host; host == "" || strings.EqualFold(h, host) {
			return name, h
		}
	}
	return "", ""
}

// ConnHint is what to check when err, from opening or calling platform
// block p, is a failure to reach it or a refusal of its credentials
// (ConnFailure.Hint), or an empty credential setting
// (EmptySettingError.Hint), for a log line; "" for any other error.
func ConnHint(p *config.Platform, err error) string {
	var empty *EmptySettingError
	if errors.As(err, &empty) {
		_, detail := empty.Hint(p)
		return detail
	}
	f, ok := DiagnoseConn(err)
	if !ok {
		return ""
	}
	return f.Hint(p)
}
