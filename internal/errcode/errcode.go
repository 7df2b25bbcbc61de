// Package errcode gives a failed opening handshake a numeric error code, so
// that scripts, thresholds and dashboards can tell its causes apart.
//
// The codes are k6's own (go.k6.io/k6/lib/netext/httpext, error_codes.go)
// wherever one applies: DNS, dial, refused, reset, TLS and timeout failures
// get the numbers http_req_failed's requests get, and a 4xx or 5xx answer
// 1000 plus its status, as k6's HTTP module does. k6 has no code for an
// answer that is neither an upgrade nor an HTTP error: it gets NoUpgrade.
//
// The package knows the errors of internal/conn and of the network, and
// nothing of JavaScript or metrics.
package errcode

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"syscall"

	"go.k6.io/k6/lib/netext"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// Code is a k6 error code; 0 means no error.
type Code int

// The codes a handshake can fail with. All but NoUpgrade are k6's.
const (
	Generic          Code = 1000 // a failure with no more specific code
	InvalidURL       Code = 1020 // the URL cannot be dialled
	NoUpgrade        Code = 1030 // xk6-ws: an answer below 400 that is not a valid 101 upgrade
	Timeout          Code = 1050 // handshakeTimeout passed after the TCP connection was up
	DNS              Code = 1100 // a DNS lookup failed
	DNSNoSuchHost    Code = 1101 // the host name does not exist
	BlacklistedIP    Code = 1110 // the IP is in k6's blacklistIPs
	BlockedHostname  Code = 1111 // the host name is in k6's blockHostnames
	TCP              Code = 1200 // a TCP failure after the connection was up
	BrokenPipe       Code = 1201 // the peer closed while we wrote
	UnknownErrno     Code = 1202 // a TCP failure with an unexpected errno
	Dial             Code = 1210 // the TCP connection could not be made
	DialTimeout      Code = 1211 // handshakeTimeout passed while dialling
	DialRefused      Code = 1212 // nothing listens at the address
	DialUnknownErrno Code = 1213 // dialling failed with an unexpected errno
	Reset            Code = 1220 // the peer reset the connection
	TLS              Code = 1300 // the TLS handshake failed
	TLSHeader        Code = 1301 // the peer does not speak TLS
	UnknownAuthority Code = 1310 // the certificate's authority is unknown
	HostnameMismatch Code = 1311 // the certificate is not for the host name
)

// httpErrorBase plus a status of 400 or more is that answer's code.
const httpErrorBase = 1000

// Of returns the code of a handshake that failed with err, having got an
// answer of status (0 when none came); it returns 0 when err is nil.
func Of(err error, status int) Code {
	switch {
	case err == nil:
		return 0
	case status >= 400:
		return Code(httpErrorBase + status)
	case status != 0:
		return NoUpgrade
	case errors.Is(err, conn.ErrHandshakeTimeout):
		if isDial(err) {
			return DialTimeout
		}
		return Timeout
	}
	return ofNetwork(err)
}

// ofNetwork returns the code of a failure of name resolution, TCP or TLS.
func ofNetwork(err error) Code {
	var (
		dnsErr    *net.DNSError
		blacklist netext.BlackListedIPError
		blocked   netext.BlockedHostError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		header    tls.RecordHeaderError
		alert     tls.AlertError
		verify    *tls.CertificateVerificationError
		opErr     *net.OpError
		urlErr    *url.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return DNSNoSuchHost
		}
		return DNS
	case errors.As(err, &blacklist):
		return BlacklistedIP
	case errors.As(err, &blocked):
		return BlockedHostname
	case errors.As(err, &authority):
		return UnknownAuthority
	case errors.As(err, &hostname):
		return HostnameMismatch
	case errors.As(err, &header):
		return TLSHeader
	case errors.As(err, &alert), errors.As(err, &verify):
		return TLS
	case errors.As(err, &opErr):
		return ofOpError(opErr)
	case errors.As(err, &urlErr): // gorilla's only *url.Error: the URL does not parse
		return InvalidURL
	}
	return Generic
}

// ofOpError returns the code of a failed socket operation.
func ofOpError(err *net.OpError) Code {
	var errno syscall.Errno
	hasErrno := errors.As(err.Err, &errno)
	switch {
	case hasErrno && errno == syscall.ECONNRESET:
		return Reset
	case hasErrno && errno == syscall.EPIPE:
		return BrokenPipe
	case err.Op != "dial" && hasErrno:
		return UnknownErrno
	case err.Op != "dial":
		return TCP
	case hasErrno && errno == syscall.ECONNREFUSED:
		return DialRefused
	case err.Timeout():
		return DialTimeout
	case hasErrno:
		return DialUnknownErrno
	}
	return Dial
}

// isDial tells whether err happened while dialling TCP.
func isDial(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}
