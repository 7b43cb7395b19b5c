package analyze

import (
	"bytes"

	"golang.org/x/crypto/ssh"

	"github.com/credreview/credreview/internal/custody"
	"github.com/credreview/credreview/internal/sshsig"
)

// custodySign signs a manifest as custody.Signer does, with a key made in
// the test.
func custodySign(s ssh.Signer, manifest []byte) ([]byte, error) {
	return sshsig.Sign(s, custody.Namespace, bytes.NewReader(manifest))
}
