package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"golang.org/x/crypto/ssh"
)

// keygenMessage and keygenSignature are what ssh-keygen 9.2 wrote for
//
//	ssh-keygen -Y sign -f K -n credreview-test@credreview evidence.txt
//
// with K the ed25519 key of seed 32 bytes of 7 (goEd25519), and
// evidence.txt holding keygenMessage. They let the tests that start no
// program check Sign byte for byte against ssh-keygen.
const (
	keygenMessage   = "credential report evidence\n"
	keygenSignature = `-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg6kpsY+KcUgq+9VB7Ey7F+ZVHdq
6+vnuSQh7qaRRG0iwAAAAaY3JlZHJldmlldy10ZXN0QGNyZWRyZXZpZXcAAAAAAAAABnNo
YTUxMgAAAFMAAAALc3NoLWVkMjU1MTkAAABA8sXMuLOc9vt+GVtC+V59ziCa6Gw+bqOiVg
3C1dv2kSWP6myMtYIG06gJRpOLDYHwBqhlP5O5A8s6okSgffAMAw==
-----END SSH SIGNATURE-----
`
)

func TestSignMatchesSSHKeygen(t *testing.T) {
	goKeys(t)
	got := mustSign(t, goEd25519, testNS, []byte(keygenMessage))
	if string(got) != keygenSignature {
		t.Errorf("got\n%s\nwant (ssh-keygen's)\n%s", got, keygenSignature)
	}
	key, err := Verify([]byte(keygenSignature), strings.NewReader(keygenMessage), testNS)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ssh.FingerprintSHA256(key), ssh.FingerprintSHA256(goEd25519.PublicKey()); got != want {
		t.Errorf("got key %q, want %q", got, want)
	}
}

// TestArmorLines: lines of 70, a newline after each line and after the END
// line, and no empty line when the base64 fills its last line.
func TestArmorLines(t *testing.T) {
	for _, n := range []int{1, 51, 52, 53, 105, 210, 1000} {
		blob := bytes.Repeat([]byte{0xa5}, n)
		a := string(armor(blob))
		if !strings.HasPrefix(a, armorBegin+"\n") || !strings.HasSuffix(a, "\n"+armorEnd+"\n") {
			t.Errorf("%d bytes: got %q, want BEGIN and END lines", n, a)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
		body := lines[1 : len(lines)-1]
		for i, l := range body {
			if l == "" || len(l) > armorWidth || (i < len(body)-1 && len(l) != armorWidth) {
				t.Errorf("%d bytes: line %d is %q, want %d characters (fewer only on the last line)", n, i+2, l, armorWidth)
			}
		}
		back, err := dearmor([]byte(a))
		if err != nil || !bytes.Equal(back, blob) {
			t.Errorf("%d bytes: dearmor got %x, %v, want the blob back", n, back, err)
		}
	}
}

// An RSA key made once: making one takes a while.
var (
	rsaOnce   sync.Once
	rsaPriv   *rsa.PrivateKey
	rsaSigner ssh.Signer
	rsaErr    error
)

func goRSA(t *testing.T) ssh.Signer {
	t.Helper()
	rsaOnce.Do(func() {
		if rsaPriv, rsaErr = rsa.GenerateKey(rand.Reader, 2048); rsaErr == nil {
			rsaSigner, rsaErr = ssh.NewSignerFromKey(rsaPriv)
		}
	})
	if rsaErr != nil {
		t.Fatal(rsaErr)
	}
	return rsaSigner
}

// blobParts builds an SSHSIG blob from its fields, right or wrong.
type blobParts struct {
	magic             string
	version           uint32
	key               []byte
	namespace         string
	reserved, hashAlg string
	sig               []byte
	trailer           []byte
}

func (p blobParts) bytes() []byte {
	var b bytes.Buffer
	b.WriteString(p.magic)
	b.Write(binary.BigEndian.AppendUint32(nil, p.version))
	putString(&b, p.key)
	putString(&b, []byte(p.namespace))
	putString(&b, []byte(p.reserved))
	putString(&b, []byte(p.hashAlg))
	putString(&b, p.sig)
	b.Write(p.trailer)
	return b.Bytes()
}

// partsOf takes a blob apart.
func partsOf(t *testing.T, armored []byte) blobParts {
	t.Helper()
	blob, err := dearmor(armored)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	return blobParts{magic, version, p.key.Marshal(), p.namespace, "", p.hashAlg, ssh.Marshal(p.sig), nil}
}

// dsaKey is an ssh-dss public key of the sizes x/crypto accepts; it need
// not be a real key, as Verify must refuse it before any arithmetic.
func dsaKey() []byte {
	one := big.NewInt(1)
	p := new(big.Int).Add(new(big.Int).Lsh(one, 1023), one)
	q := new(big.Int).Add(new(big.Int).Lsh(one, 159), one)
	return ssh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{dsaKeyType, p, q, big.NewInt(2), big.NewInt(3)})
}

func TestVerifyRejects(t *testing.T) {
	goKeys(t)
	msg := []byte("iam credential report, 12 users\n")
	good := mustSign(t, goEd25519, testNS, msg)
	parts := partsOf(t, good)
	with := func(f func(p *blobParts)) []byte {
		p := parts
		f(&p)
		return armor(p.bytes())
	}
	altered := bytes.Clone(msg)
	altered[3] ^= 0x20

	sha1Digest := sha1.Sum(msg)
	sha1Blob, err := signDigest(goEd25519, testNS, "sha1", sha1Digest[:])
	if err != nil {
		t.Fatal(err)
	}

	rsaKey := goRSA(t)
	digest := sha512.Sum512(msg)
	rsaSHA1, err := rsaKey.(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, signedData(testNS, "sha512", digest[:]), ssh.KeyAlgoRSA)
	if err != nil {
		t.Fatal(err)
	}
	otherSig := partsOf(t, mustSign(t, goOther, testNS, msg)).sig

	tests := []struct {
		name      string
		armored   []byte
		message   []byte
		namespace string
		want      string
	}{
		{"message altered by one byte", good, altered, testNS, "the signature does not match the message"},
		{"message cut short", good, msg[:len(msg)-1], testNS, "the signature does not match the message"},
		{"wrong namespace", good, msg, "other@credreview", `the signature is for namespace "credreview-test@credreview", not "other@credreview"`},
		{"empty namespace", good, msg, "", "the namespace to verify against is empty"},
		{"empty signature", nil, msg, testNS, "the signature is empty"},
		{"garbage", []byte("this is not a signature\n"), msg, testNS, "not an SSH signature: it does not begin with the line -----BEGIN SSH SIGNATURE-----"},
		{"armor cut short", good[:len(good)/2], msg, testNS, "the SSH signature is cut short: there is no -----END SSH SIGNATURE----- line"},
		{"BEGIN line only", []byte(armorBegin + "\n"), msg, testNS, "cut short: there is no -----END SSH SIGNATURE----- line"},
		{"nothing between BEGIN and END", []byte(armorBegin + "\n" + armorEnd + "\n"), msg, testNS, "the SSH signature is empty between its BEGIN and END lines"},
		{"only white space between BEGIN and END", []byte(armorBegin + "\n \n" + armorEnd + "\n"), msg, testNS, "the SSH signature is empty between its BEGIN and END lines"},
		{"END line glued to the base64", []byte(strings.Replace(string(good), "\n"+armorEnd, armorEnd, 1)), msg, testNS, "cut short: there is no -----END SSH SIGNATURE----- line"},
		{"base64 damaged", []byte(armorBegin + "\nU1NI*lHAAAA\n" + armorEnd + "\n"), msg, testNS, "its base64 does not decode"},
		{"text after END", append(bytes.Clone(good), "trailing words\n"...), msg, testNS, "has text after its -----END SSH SIGNATURE----- line"},
		{"blob cut short", armor(parts.bytes()[:len(parts.bytes())-7]), msg, testNS, "the signature value is cut short"},
		{"blob ends after the magic", armor([]byte(magic)), msg, testNS, "the version is cut short"},
		{"blob ends in the namespace", armor(parts.bytes()[:75]), msg, testNS, "the namespace is cut short"},
		{"not SSHSIG", with(func(p *blobParts) { p.magic = "SSHSIH" }), msg, testNS, "does not start with SSHSIG"},
		{"version 2", with(func(p *blobParts) { p.version = 2 }), msg, testNS, "SSHSIG version 2 is not supported"},
		{"hash algorithm sha1", armor(sha1Blob), msg, testNS, `the signature uses hash algorithm "sha1"; SSHSIG allows only sha256 and sha512`},
		{"hash algorithm in capitals", with(func(p *blobParts) { p.hashAlg = "SHA512" }), msg, testNS, `hash algorithm "SHA512"`},
		{"hash algorithm names the wrong one", with(func(p *blobParts) { p.hashAlg = "sha256" }), msg, testNS, "the signature does not match the message"},
		{"bytes after the blob", with(func(p *blobParts) { p.trailer = []byte{0} }), msg, testNS, "1 unexpected bytes follow it"},
		{"public key damaged", with(func(p *blobParts) { p.key = p.key[:20] }), msg, testNS, "its public key does not parse"},
		{"signature value damaged", with(func(p *blobParts) { p.sig = []byte{0, 0, 0, 9, 's'} }), msg, testNS, "its signature value does not parse"},
		{"bytes after the signature value", with(func(p *blobParts) { p.sig = append(bytes.Clone(p.sig), 1, 2) }), msg, testNS, "unexpected bytes after the signature value"},
		{"signature of another key", with(func(p *blobParts) { p.sig = otherSig }), msg, testNS, "the signature does not match the message"},
		{"public key of another key", with(func(p *blobParts) { p.key = goOther.PublicKey().Marshal() }), msg, testNS, "the signature does not match the message"},
		{"RSA signature with SHA-1 (ssh-rsa)", armor(blobParts{magic, version, rsaKey.PublicKey().Marshal(), testNS, "", "sha512", ssh.Marshal(rsaSHA1), nil}.bytes()), msg, testNS, "the RSA signature is ssh-rsa, not rsa-sha2-512 or rsa-sha2-256"},
		{"DSA key", with(func(p *blobParts) { p.key = dsaKey() }), msg, testNS, "DSA keys (ssh-dss) sign with SHA-1 and are not accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := Verify(tt.armored, bytes.NewReader(tt.message), tt.namespace)
			if key != nil {
				t.Errorf("got key %s, want none", ssh.FingerprintSHA256(key))
			}
			wantErr(t, err, tt.want)
		})
	}

	t.Run("message cannot be read", func(t *testing.T) {
		_, err := Verify(good, iotest.ErrReader(io.ErrUnexpectedEOF), testNS)
		wantErr(t, err, "read the message: unexpected EOF")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("got %v, want it to wrap io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("no message", func(t *testing.T) {
		_, err := Verify(good, nil, testNS)
		wantErr(t, err, "no message to verify")
	})
}

func TestVerifyAccepts(t *testing.T) {
	goKeys(t)
	msg := []byte("iam credential report, 12 users\n")
	good := mustSign(t, goEd25519, testNS, msg)
	parts := partsOf(t, good)
	sha256Digest := sha256.Sum256(msg)
	sha256Blob, err := signDigest(goEd25519, testNS, "sha256", sha256Digest[:])
	if err != nil {
		t.Fatal(err)
	}
	withReserved := parts
	withReserved.reserved = "future tags"

	tests := []struct {
		name    string
		signer  ssh.Signer
		armored []byte
	}{
		{"ed25519", goEd25519, good},
		{"ecdsa", goECDSA, mustSign(t, goECDSA, testNS, msg)},
		{"rsa signs with rsa-sha2-512", goRSA(t), mustSign(t, goRSA(t), testNS, msg)},
		{"sha256", goEd25519, armor(sha256Blob)},
		{"Windows line ends", goEd25519, bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n"))},
		{"blank lines after END", goEd25519, append(bytes.Clone(good), "\n\n"...)},
		{"no newline after END", goEd25519, bytes.TrimSuffix(good, []byte("\n"))},
		{"base64 in one long line", goEd25519, []byte(armorBegin + "\n" + strings.Join(strings.Split(string(good), "\n")[1:5], "") + "\n" + armorEnd + "\n")},
		{"reserved field not empty (ignored)", goEd25519, armor(withReserved.bytes())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := Verify(tt.armored, bytes.NewReader(msg), testNS)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ssh.FingerprintSHA256(key), ssh.FingerprintSHA256(tt.signer.PublicKey()); got != want {
				t.Errorf("got key %q, want %q", got, want)
			}
		})
	}

	blob, _ := dearmor(tests[2].armored)
	if p, err := parseBlob(blob); err != nil || p.sig.Format != ssh.KeyAlgoRSASHA512 {
		t.Errorf("RSA signature: got %v (%v), want format %q", p, err, ssh.KeyAlgoRSASHA512)
	}
}

// plainSigner hides every interface but ssh.Signer.
type plainSigner struct{ s ssh.Signer }

func (p plainSigner) PublicKey() ssh.PublicKey { return p.s.PublicKey() }
func (p plainSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	return p.s.Sign(r, data)
}

// lyingSigner signs with one key and claims another.
type lyingSigner struct{ claims, signs ssh.Signer }

func (l lyingSigner) PublicKey() ssh.PublicKey { return l.claims.PublicKey() }
func (l lyingSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	return l.signs.Sign(r, data)
}

// failingSigner cannot sign.
type failingSigner struct{ ssh.Signer }

func (failingSigner) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	return nil, errors.New("token removed")
}

func TestSignRejects(t *testing.T) {
	goKeys(t)
	rsa256, err := ssh.NewSignerWithAlgorithms(goRSA(t).(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSASHA256})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		signer    ssh.Signer
		namespace string
		message   io.Reader
		want      string
	}{
		{"no signer", nil, testNS, strings.NewReader("m"), "no signing key"},
		{"no message", goEd25519, testNS, nil, "no message to sign"},
		{"empty namespace", goEd25519, "", strings.NewReader("m"), "the signature namespace is empty"},
		{"message cannot be read", goEd25519, testNS, iotest.ErrReader(io.ErrClosedPipe), "read the message: io: read/write on closed pipe"},
		{"RSA signer that cannot choose rsa-sha2-512", plainSigner{goRSA(t)}, testNS, strings.NewReader("m"), "this RSA signer cannot make rsa-sha2-512 signatures"},
		{"RSA signer restricted to rsa-sha2-256", rsa256, testNS, strings.NewReader("m"), "this RSA signer is restricted to rsa-sha2-256, and SSHSIG needs rsa-sha2-512"},
		{"signer whose key does not match", lyingSigner{goEd25519, goOther}, testNS, strings.NewReader("m"), "the new signature does not verify with the signer's own public key"},
		{"signer fails", failingSigner{goEd25519}, testNS, strings.NewReader("m"), "sign: token removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := Sign(tt.signer, tt.namespace, tt.message)
			if sig != nil {
				t.Errorf("got signature %q, want none", sig)
			}
			wantErr(t, err, tt.want)
		})
	}
}
