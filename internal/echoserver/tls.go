package echoserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// certLifetime is how long the generated certificates are valid.
const certLifetime = 24 * time.Hour

// tlsMaterial is what a wss server generates at Start: a CA, a server
// certificate and a client certificate, both signed by the CA.
type tlsMaterial struct {
	config        *tls.Config
	caPEM         []byte
	clientCertPEM []byte
	clientKeyPEM  []byte
}

// issued is a certificate with its key.
type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTLSMaterial(opts TLSOptions, now time.Time) (*tlsMaterial, error) {
	ca, err := issue(caTemplate(now), nil)
	if err != nil {
		return nil, fmt.Errorf("create CA: %w", err)
	}
	server, err := issue(leafTemplate(now, "xk6-ws echo server", x509.ExtKeyUsageServerAuth), ca)
	if err != nil {
		return nil, fmt.Errorf("create server certificate: %w", err)
	}
	client, err := issue(leafTemplate(now, "xk6-ws echo client", x509.ExtKeyUsageClientAuth), ca)
	if err != nil {
		return nil, fmt.Errorf("create client certificate: %w", err)
	}
	clientKeyPEM, err := keyPEM(client.key)
	if err != nil {
		return nil, fmt.Errorf("encode client key: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{
			Certificate: [][]byte{server.cert.Raw, ca.cert.Raw},
			PrivateKey:  server.key,
			Leaf:        server.cert,
		}},
		NextProtos: []string{"http/1.1"},
		ClientCAs:  pool,
		ClientAuth: tls.NoClientCert,
	}
	if opts.RequireClientCert {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return &tlsMaterial{
		config:        cfg,
		caPEM:         certPEM(ca.cert),
		clientCertPEM: certPEM(client.cert),
		clientKeyPEM:  clientKeyPEM,
	}, nil
}

func caTemplate(now time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: "xk6-ws echo server test CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
}

// leafTemplate is a certificate for 127.0.0.1, ::1 and localhost.
func leafTemplate(now time.Time, name string, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		NotBefore:   now.Add(-time.Minute),
		NotAfter:    now.Add(certLifetime),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
}

// issue creates an ECDSA P-256 key and a certificate for it from tmpl,
// signed by parent, or self-signed when parent is nil.
func issue(tmpl *x509.Certificate, parent *issued) (*issued, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	tmpl.SerialNumber = serial
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signerKey)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return &issued{cert: cert, key: key}, nil
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
