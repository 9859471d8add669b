package email_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/testbin"
)

// Mailpit is the SMTP server the tests send to: the real one, built from
// its module at a pinned version.
const (
	mailpitModule  = "github.com/axllent/mailpit"
	mailpitVersion = "v1.30.5"
)

// mailpit is one running server.
type mailpit struct {
	smtpHost string
	smtpPort int
	api      string // http://127.0.0.1:PORT
	caFile   string
}

const (
	smtpUser = "hearth"
	smtpPass = "correct horse battery staple"
)

// startMailpit runs mailpit with TLS (implicit when implicitTLS, else
// required STARTTLS), password authentication and chaos enabled.
func startMailpit(t *testing.T, implicitTLS bool) *mailpit {
	if implicitTLS {
		return startMailpitMode(t, "tls")
	}
	return startMailpitMode(t, "starttls")
}

// startMailpitMode runs mailpit as startMailpit does, with security
// "tls", "starttls", or "none": plain text, taking a password without
// TLS, as a relay on loopback does.
func startMailpitMode(t *testing.T, mode string) *mailpit {
	t.Helper()
	testbin.Skip(t, "HEARTH_TEST_MAILPIT", "a real mailpit ("+mailpitModule+" "+mailpitVersion+", built once from the Go module proxy)")
	bin := filepath.Join(testbin.Build(t, mailpitModule, mailpitVersion, "."), "mailpit")
	dir := t.TempDir()
	certFile, keyFile, caFile := writeCert(t, dir)
	sum := sha1.Sum([]byte(smtpPass))
	auth := filepath.Join(dir, "smtp-auth")
	if err := os.WriteFile(auth, []byte(smtpUser+":{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	smtpAddr, httpAddr := testbin.FreeAddr(t), testbin.FreeAddr(t)
	args := []string{"--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-auth-file", auth, "--enable-chaos", "--disable-version-check", "--quiet"}
	switch mode {
	case "tls":
		args = append(args, "--smtp-require-tls")
	case "starttls":
		args = append(args, "--smtp-require-starttls")
	default:
		args = []string{"--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(dir, "mailpit.db"),
			"--smtp-auth-file", auth, "--smtp-auth-allow-insecure", "--disable-version-check", "--quiet"}
	}
	testbin.Start(t, dir, filepath.Join(dir, "mailpit.log"), bin, args...)
	host, port, _ := net.SplitHostPort(smtpAddr)
	p, _ := strconv.Atoi(port)
	m := &mailpit{smtpHost: host, smtpPort: p, api: "http://" + httpAddr, caFile: caFile}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(m.api + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not answer on %s within 30s: %v", httpAddr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The HTTP API can be up a moment before the SMTP listener.
	for {
		c, err := net.Dial("tcp", smtpAddr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit SMTP did not listen on %s within 30s: %v", smtpAddr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

// writeCert makes a CA and a certificate for 127.0.0.1 signed by it, so
// the adapter verifies the server as it would a real one (ca_file).
func writeCert(t *testing.T, dir string) (certFile, keyFile, caFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hearth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("cert.pem", "CERTIFICATE", der), write("key.pem", "EC PRIVATE KEY", keyDER), write("ca.pem", "CERTIFICATE", caDER)
}

// settings are a platform block's settings for this server.
func (m *mailpit) settings(security string, extra map[string]cty.Value) map[string]cty.Value {
	s := map[string]cty.Value{
		"host":     cty.StringVal(m.smtpHost),
		"port":     cty.NumberIntVal(int64(m.smtpPort)),
		"security": cty.StringVal(security),
		"ca_file":  cty.StringVal(m.caFile),
		"username": cty.StringVal(smtpUser),
		"password": cty.StringVal(smtpPass).Mark(config.Sensitive),
		"from":     cty.StringVal("Explorers <news@explorers.example>"),
		"timeout":  cty.StringVal("10s"),
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func (m *mailpit) open(t *testing.T, settings map[string]cty.Value) *email.Conn {
	t.Helper()
	c, err := email.New().Open(context.Background(), platform.OpenRequest{Name: "news", Settings: settings})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*email.Conn)
}

// apiMessage is a message as mailpit's API lists it.
type apiMessage struct {
	ID        string
	MessageID string
	Subject   string
	To        []struct{ Address string }
	From      struct{ Name, Address string }
}

func (m *mailpit) get(t *testing.T, path string, into any) {
	t.Helper()
	resp, err := http.Get(m.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func (m *mailpit) messages(t *testing.T) []apiMessage {
	t.Helper()
	var list struct {
		Total    int
		Messages []apiMessage
	}
	m.get(t, "/api/v1/messages", &list)
	return list.Messages
}

// chaos sets mailpit's injected failures: RCPT TO answers code (0 turns
// it off).
func (m *mailpit) chaos(t *testing.T, code int) {
	t.Helper()
	body := `{}`
	if code != 0 {
		body = fmt.Sprintf(`{"Recipient":{"ErrorCode":%d,"Probability":100}}`, code)
	}
	req, _ := http.NewRequest(http.MethodPut, m.api+"/api/v1/chaos", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /api/v1/chaos: %s: %s", resp.Status, b)
	}
}
