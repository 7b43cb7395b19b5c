// Package sshsig signs and verifies files in OpenSSH's SSHSIG format, the
// format of "ssh-keygen -Y sign" (PROTOCOL.sshsig in OpenSSH). Evidence
// signed here can be checked by anyone with ssh-keygen alone, without
// credreview, and a signature made by ssh-keygen is accepted here. Each
// function does what an ssh-keygen command does:
//
//	Sign           ssh-keygen -Y sign -f KEY -n NAMESPACE FILE
//	Verify         ssh-keygen -Y check-novalidate -n NAMESPACE -s FILE.sig < FILE
//	VerifyAllowed  ssh-keygen -Y verify -f ALLOWED -I IDENTITY -n NAMESPACE -s FILE.sig < FILE
//	               ssh-keygen -Y find-principals -f ALLOWED -s FILE.sig  (identity "")
//
// Only the framing (the armor, the blob and the data that is signed) is
// written here; keys, signatures and the agent protocol are
// golang.org/x/crypto/ssh's, so that no signature arithmetic of our own has
// to be trusted.
package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

const (
	magic   = "SSHSIG"
	version = 1

	armorBegin = "-----BEGIN SSH SIGNATURE-----"
	armorEnd   = "-----END SSH SIGNATURE-----"
	// armorWidth is the length of the base64 lines. PROTOCOL.sshsig says
	// 76, but ssh-keygen writes 70, and byte-for-byte equal files need 70.
	armorWidth = 70

	// signHash is the hash ssh-keygen -Y sign uses by default.
	signHash = "sha512"
)

// Sign signs what message yields for namespace and returns the armored
// signature exactly as ssh-keygen -Y sign writes it to FILE.sig: the
// -----BEGIN SSH SIGNATURE----- line, base64 in lines of 70 characters, and
// the -----END SSH SIGNATURE----- line, each ending in a newline. The message
// is hashed with SHA-512.
//
// RSA keys sign with rsa-sha2-512, as ssh-keygen does (and as verifiers
// require: SSHSIG refuses SHA-1 ssh-rsa signatures), so an RSA signer must be
// an ssh.AlgorithmSigner; those from ssh.ParsePrivateKey, ssh.NewSignerFromKey
// and LoadSigner are. Ed25519 signatures are deterministic, so signing the
// same message with the same key and namespace gives the same bytes as
// ssh-keygen.
//
// The namespace keeps a signature made for one purpose from being accepted
// for another; it must not be empty. Sign checks the new signature with the
// signer's public key before returning it, because a signature that does not
// verify is worse than none: it would only be found out when the evidence is
// checked.
func Sign(signer ssh.Signer, namespace string, message io.Reader) ([]byte, error) {
	if signer == nil {
		return nil, errors.New("no signing key: load one with LoadSigner")
	}
	if message == nil {
		return nil, errors.New("no message to sign")
	}
	digest, err := digestOf(signHash, message)
	if err != nil {
		return nil, err
	}
	blob, err := signDigest(signer, namespace, signHash, digest)
	if err != nil {
		return nil, err
	}
	return armor(blob), nil
}

// signDigest makes the SSHSIG blob for a digest already computed with
// hashAlg. It does not check hashAlg, so tests can make signatures that
// Verify must refuse.
func signDigest(signer ssh.Signer, namespace, hashAlg string, digest []byte) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("the signature namespace is empty; SSHSIG requires one (for example file)")
	}
	pub := signer.PublicKey()
	if pub == nil {
		return nil, errors.New("the signer has no public key")
	}
	if err := checkKeyType(pub); err != nil {
		return nil, err
	}
	data := signedData(namespace, hashAlg, digest)

	var sig *ssh.Signature
	var err error
	if plainType(pub) == ssh.KeyAlgoRSA {
		// With no algorithm named, an RSA signer makes a SHA-1 ssh-rsa
		// signature, which ssh-keygen -Y verify rejects.
		as, ok := signer.(ssh.AlgorithmSigner)
		if !ok {
			return nil, errors.New("this RSA signer cannot make rsa-sha2-512 signatures, which SSHSIG needs; load the key with LoadSigner or ssh.ParsePrivateKey")
		}
		if ms, ok := signer.(ssh.MultiAlgorithmSigner); ok && !slices.Contains(ms.Algorithms(), ssh.KeyAlgoRSASHA512) {
			return nil, fmt.Errorf("this RSA signer is restricted to %s, and SSHSIG needs rsa-sha2-512; allow rsa-sha2-512", strings.Join(ms.Algorithms(), ", "))
		}
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if sig == nil {
		return nil, errors.New("the signer returned no signature")
	}
	if err := pub.Verify(data, sig); err != nil {
		return nil, fmt.Errorf("the new signature does not verify with the signer's own public key (%v); check that the key file and its .pub belong together", err)
	}

	var b bytes.Buffer
	b.WriteString(magic)
	b.Write(binary.BigEndian.AppendUint32(nil, version))
	putString(&b, pub.Marshal())
	putString(&b, []byte(namespace))
	putString(&b, nil) // reserved
	putString(&b, []byte(hashAlg))
	putString(&b, ssh.Marshal(sig))
	return b.Bytes(), nil
}

// Verify checks an armored SSHSIG signature of what message yields, as
// ssh-keygen -Y check-novalidate does, and returns the public key that made
// it. It proves only that the holder of that key signed the message for
// namespace; whether the key is trusted is VerifyAllowed's question.
//
// The namespace must be the one the signature was made for. Signatures
// hashed with sha256 or sha512 are accepted (ssh-keygen accepts both); RSA
// signatures must be rsa-sha2-256 or rsa-sha2-512, never SHA-1 ssh-rsa; DSA
// keys, which sign with SHA-1, are refused. The reserved field is ignored, as
// PROTOCOL.sshsig says. Windows line ends in the armor are accepted. The
// message is read only once the signature's framing has been checked.
func Verify(armored []byte, message io.Reader, namespace string) (ssh.PublicKey, error) {
	if namespace == "" {
		return nil, errors.New("the namespace to verify against is empty; give the one the signature was made for")
	}
	if message == nil {
		return nil, errors.New("no message to verify")
	}
	blob, err := dearmor(armored)
	if err != nil {
		return nil, err
	}
	s, err := parseBlob(blob)
	if err != nil {
		return nil, err
	}
	if s.namespace != namespace {
		return nil, fmt.Errorf("the signature is for namespace %q, not %q: it was made for another purpose; sign the file again with namespace %q", s.namespace, namespace, namespace)
	}
	if s.hashAlg != "sha256" && s.hashAlg != "sha512" {
		return nil, fmt.Errorf("the signature uses hash algorithm %q; SSHSIG allows only sha256 and sha512: sign the file again with ssh-keygen -Y sign", s.hashAlg)
	}
	if err := checkKeyType(s.key); err != nil {
		return nil, err
	}
	if plainType(s.key) == ssh.KeyAlgoRSA && s.sig.Format != ssh.KeyAlgoRSASHA512 && s.sig.Format != ssh.KeyAlgoRSASHA256 {
		return nil, fmt.Errorf("the RSA signature is %s, not rsa-sha2-512 or rsa-sha2-256 (a SHA-1 ssh-rsa signature is not accepted); sign the file again with ssh-keygen -Y sign", s.sig.Format)
	}
	if len(s.sig.Rest) > 0 && !strings.HasPrefix(plainType(s.key), "sk-") {
		// Only security-key signatures carry fields after the blob
		// (flags and counter); elsewhere they would go unchecked.
		return nil, errors.New("the SSH signature is damaged: unexpected bytes after the signature value; copy the .sig file again")
	}
	digest, err := digestOf(s.hashAlg, message)
	if err != nil {
		return nil, err
	}
	if err := s.key.Verify(signedData(namespace, s.hashAlg, digest), s.sig); err != nil {
		return nil, fmt.Errorf("the signature does not match the message (%v): the file was changed after it was signed, or the signature is another file's", err)
	}
	return s.key, nil
}

// dsaKeyType is ssh.InsecureKeyAlgoDSA, spelt out because x/crypto
// deprecates the name (which is the point: DSA is refused here).
const dsaKeyType = "ssh-dss"

// checkKeyType refuses DSA: its signatures use SHA-1, and OpenSSH no longer
// makes DSA keys.
func checkKeyType(key ssh.PublicKey) error {
	if plainType(key) == dsaKeyType {
		return errors.New("DSA keys (ssh-dss) sign with SHA-1 and are not accepted; use an ed25519, ecdsa or rsa key")
	}
	return nil
}

// plainType is the key type of key, or of the key inside a certificate.
func plainType(key ssh.PublicKey) string {
	if c, ok := key.(*ssh.Certificate); ok && c.Key != nil {
		return c.Key.Type()
	}
	return key.Type()
}

// signedData is what the SSH signature covers: the magic, namespace,
// reserved (always empty, on signing and on verifying, as OpenSSH does),
// hash algorithm and digest of the message. The magic keeps it from ever
// looking like the data signed to log in over SSH.
func signedData(namespace, hashAlg string, digest []byte) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	putString(&b, []byte(namespace))
	putString(&b, nil)
	putString(&b, []byte(hashAlg))
	putString(&b, digest)
	return b.Bytes()
}

// digestOf hashes the message with hashAlg (sha256 or sha512).
func digestOf(hashAlg string, message io.Reader) ([]byte, error) {
	var h hash.Hash
	switch hashAlg {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("hash algorithm %q is not sha256 or sha512", hashAlg)
	}
	if _, err := io.Copy(h, message); err != nil {
		return nil, fmt.Errorf("read the message: %w", err)
	}
	return h.Sum(nil), nil
}

func putString(b *bytes.Buffer, s []byte) {
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
	b.Write(s)
}

// armor wraps the blob as ssh-keygen does: base64 in lines of 70, every line
// (the last too, and with no empty line when the base64 fills it exactly)
// ending in a newline, and a newline after the END line.
func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > armorWidth {
		b.WriteString(enc[:armorWidth] + "\n")
		enc = enc[armorWidth:]
	}
	b.WriteString(enc + "\n")
	b.WriteString(armorEnd + "\n")
	return b.Bytes()
}

// dearmor returns the blob inside the armor. Like ssh-keygen it wants the
// BEGIN line first; unlike it, it also takes CRLF line ends (a signature
// checked out on Windows) and refuses anything but white space after the
// END line, where ssh-keygen ignores it.
func dearmor(armored []byte) ([]byte, error) {
	text := strings.ReplaceAll(string(armored), "\r\n", "\n")
	body, ok := strings.CutPrefix(text, armorBegin+"\n")
	if !ok {
		if len(strings.TrimSpace(text)) == 0 {
			return nil, errors.New("the signature is empty; pass the .sig file that ssh-keygen -Y sign or credreview wrote")
		}
		return nil, fmt.Errorf("not an SSH signature: it does not begin with the line %s; pass the .sig file that ssh-keygen -Y sign or credreview wrote", armorBegin)
	}
	// "\n" + body, so that an END line right after the BEGIN line is found.
	i := strings.Index("\n"+body, "\n"+armorEnd)
	if i < 0 {
		return nil, fmt.Errorf("the SSH signature is cut short: there is no %s line; copy the whole .sig file again", armorEnd)
	}
	if rest := body[i+len(armorEnd):]; strings.TrimSpace(rest) != "" {
		return nil, fmt.Errorf("the SSH signature has text after its %s line; remove it, or copy the .sig file again", armorEnd)
	}
	b64 := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, body[:max(i-1, 0)])
	if b64 == "" {
		return nil, errors.New("the SSH signature is empty between its BEGIN and END lines; copy the whole .sig file again")
	}
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("the SSH signature is damaged: its base64 does not decode (%v); copy the .sig file again", err)
	}
	return blob, nil
}

// parsed is the content of an SSHSIG blob.
type parsed struct {
	key       ssh.PublicKey
	namespace string
	hashAlg   string
	sig       *ssh.Signature
}

// parseBlob reads the SSHSIG blob: magic, version 1, public key, namespace,
// reserved, hash algorithm and signature, with nothing after.
func parseBlob(blob []byte) (*parsed, error) {
	if len(blob) < len(magic) || string(blob[:len(magic)]) != magic {
		return nil, errors.New("not an SSHSIG signature: the decoded data does not start with SSHSIG; pass a signature made by ssh-keygen -Y sign or credreview")
	}
	r := reader{b: blob[len(magic):]}
	if len(r.b) < 4 {
		return nil, damaged("the version")
	}
	if v := binary.BigEndian.Uint32(r.b); v != version {
		return nil, fmt.Errorf("SSHSIG version %d is not supported (only version %d); verify it with a newer ssh-keygen", v, version)
	}
	r.b = r.b[4:]
	keyBlob, err := r.field("the public key")
	if err != nil {
		return nil, err
	}
	ns, err := r.field("the namespace")
	if err != nil {
		return nil, err
	}
	if _, err := r.field("the reserved field"); err != nil {
		return nil, err
	}
	hashAlg, err := r.field("the hash algorithm")
	if err != nil {
		return nil, err
	}
	sigBlob, err := r.field("the signature value")
	if err != nil {
		return nil, err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("the SSH signature is damaged: %d unexpected bytes follow it; copy the .sig file again", len(r.b))
	}
	key, err := ssh.ParsePublicKey(keyBlob)
	if err != nil {
		return nil, fmt.Errorf("the SSH signature is damaged: its public key does not parse (%v); copy the .sig file again", err)
	}
	sig := new(ssh.Signature)
	if err := ssh.Unmarshal(sigBlob, sig); err != nil {
		return nil, fmt.Errorf("the SSH signature is damaged: its signature value does not parse (%v); copy the .sig file again", err)
	}
	return &parsed{key: key, namespace: string(ns), hashAlg: string(hashAlg), sig: sig}, nil
}

// reader takes SSH strings (a uint32 length, then the bytes) off a blob.
type reader struct{ b []byte }

func (r *reader) field(name string) ([]byte, error) {
	if len(r.b) < 4 {
		return nil, damaged(name)
	}
	n := binary.BigEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		return nil, damaged(name)
	}
	s := r.b[4 : 4+n]
	r.b = r.b[4+n:]
	return s, nil
}

func damaged(field string) error {
	return fmt.Errorf("the SSH signature is damaged: %s is cut short; copy the whole .sig file again", field)
}
