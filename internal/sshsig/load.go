package sshsig

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// LoadSigner returns a signer for the OpenSSH private key in keyFile
// (ed25519, ecdsa or rsa), choosing as ssh-keygen -Y sign does:
//
//  1. If ssh-agent (SSH_AUTH_SOCK) holds the key, the agent signs and no
//     passphrase is asked. The key is recognised by its public half, read
//     from keyFile+".pub" if there is one, else from keyFile itself (an
//     OpenSSH key file carries its public key in the clear even when the
//     private key is encrypted). keyFile may then even be the .pub file.
//  2. Otherwise an unencrypted key is used as it is.
//  3. Otherwise, for an encrypted key, passphrase is called once (the
//     caller asks on the terminal). With passphrase nil, as when there is
//     no terminal, LoadSigner fails and suggests ssh-add.
//
// The agent is dialled anew for each signature, so the signer holds no
// connection and needs no closing. An agent that cannot be reached is
// passed over silently, as ssh-keygen does. A .pub that does not belong to
// the key is an error: the agent would sign with another key than the one
// named.
func LoadSigner(keyFile string, passphrase func() ([]byte, error)) (ssh.Signer, error) {
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read the signing key: %w", err)
	}

	var pub ssh.PublicKey // the public half, to find the key in the agent
	pubFile := keyFile + ".pub"
	if b, err := os.ReadFile(pubFile); err == nil {
		if pub, _, _, _, err = ssh.ParseAuthorizedKey(b); err != nil {
			return nil, fmt.Errorf("%s is not a public key (%v); make it again with ssh-keygen -y -f %s > %s", pubFile, err, keyFile, pubFile)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the signing key's public half: %w", err)
	}

	signer, parseErr := ssh.ParsePrivateKey(pemBytes)
	var missing *ssh.PassphraseMissingError
	var filePub ssh.PublicKey // the public key the key file itself gives
	switch {
	case parseErr == nil:
		filePub = signer.PublicKey()
	case errors.As(parseErr, &missing):
		filePub = missing.PublicKey // nil for old PEM-format encrypted keys
	default:
		// Perhaps keyFile is a public key, whose private half is only
		// in the agent.
		if k, _, _, _, err := ssh.ParseAuthorizedKey(pemBytes); err == nil {
			if pub != nil && !bytes.Equal(pub.Marshal(), k.Marshal()) {
				return nil, fmt.Errorf("%s and %s are different public keys; pass the private key file", keyFile, pubFile)
			}
			if s := agentSigner(k); s != nil {
				return s, nil
			}
			return nil, fmt.Errorf("%s is a public key, and ssh-agent does not hold its private half; add the key to the agent (ssh-add) or pass the private key file", keyFile)
		}
		return nil, fmt.Errorf("%s is not an OpenSSH private key (%v); pass the file ssh-keygen wrote, without .pub", keyFile, parseErr)
	}
	if pub != nil && filePub != nil && !bytes.Equal(pub.Marshal(), filePub.Marshal()) {
		return nil, fmt.Errorf("%s does not belong to %s; make it again with ssh-keygen -y -f %s > %s", pubFile, keyFile, keyFile, pubFile)
	}
	if pub == nil {
		pub = filePub
	}

	if pub != nil {
		if s := agentSigner(pub); s != nil {
			return s, nil
		}
	}
	if parseErr == nil {
		return signer, nil
	}

	if passphrase == nil {
		return nil, fmt.Errorf("%s is encrypted, and there is no terminal to ask for its passphrase; add it to ssh-agent (ssh-add %s) and run again", keyFile, keyFile)
	}
	pass, err := passphrase()
	if err != nil {
		return nil, fmt.Errorf("read the passphrase of %s: %w", keyFile, err)
	}
	signer, err = ssh.ParsePrivateKeyWithPassphrase(pemBytes, pass)
	clear(pass)
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, fmt.Errorf("wrong passphrase for %s; try again, or add the key to ssh-agent (ssh-add %s)", keyFile, keyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", keyFile, err)
	}
	if pub != nil && !bytes.Equal(pub.Marshal(), signer.PublicKey().Marshal()) {
		return nil, fmt.Errorf("%s does not belong to %s; make it again with ssh-keygen -y -f %s > %s", pubFile, keyFile, keyFile, pubFile)
	}
	return signer, nil
}

// agentTimeout bounds the question whether the agent holds a key: a socket
// that is not an agent must not hang the run. Signing has no bound, as an
// agent may wait for a confirmation or a touch of a security key.
const agentTimeout = 5 * time.Second

// agentSigner returns a signer through the agent at SSH_AUTH_SOCK if that
// agent holds pub, else nil.
func agentSigner(pub ssh.PublicKey) ssh.Signer {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil
	}
	conn, err := net.DialTimeout("unix", sock, agentTimeout)
	if err != nil {
		return nil
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(agentTimeout))
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		return nil
	}
	want := pub.Marshal()
	for _, k := range keys {
		if bytes.Equal(k.Blob, want) {
			return &viaAgent{sock: sock, pub: pub}
		}
	}
	return nil
}

// viaAgent signs through ssh-agent, connecting for each signature.
type viaAgent struct {
	sock string
	pub  ssh.PublicKey
}

// PublicKey returns the key the agent signs with.
func (s *viaAgent) PublicKey() ssh.PublicKey { return s.pub }

// Sign signs with the key's default algorithm (for RSA, SHA-1 ssh-rsa,
// which is why Sign in this package asks for rsa-sha2-512 instead).
func (s *viaAgent) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return s.SignWithAlgorithm(rand, data, "")
}

// SignWithAlgorithm asks the agent to sign; the agent chooses RSA's hash
// by a flag in the request.
func (s *viaAgent) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	var flags agent.SignatureFlags
	switch algorithm {
	case "", s.pub.Type():
	case ssh.KeyAlgoRSASHA256:
		flags = agent.SignatureFlagRsaSha256
	case ssh.KeyAlgoRSASHA512:
		flags = agent.SignatureFlagRsaSha512
	default:
		return nil, fmt.Errorf("ssh-agent cannot sign with algorithm %s for a %s key", algorithm, s.pub.Type())
	}
	conn, err := net.DialTimeout("unix", s.sock, agentTimeout)
	if err != nil {
		return nil, fmt.Errorf("reach ssh-agent: %w; is it still running (ssh-add -l)?", err)
	}
	defer conn.Close()
	sig, err := agent.NewClient(conn).SignWithFlags(s.pub, data, flags)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent did not sign (%v); is the key still loaded (ssh-add -l)?", err)
	}
	return sig, nil
}
