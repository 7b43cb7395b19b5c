package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/internal/custody"
)

// CustodyFlags are the options of the chain of custody: the key that
// signs what a command writes, and the allowed signers that check what it
// reads.
type CustodyFlags struct {
	SignKey, AllowedSigners string
}

// Register adds --sign-key (when sign) and --allowed-signers to a flag set.
func (c *CustodyFlags) Register(fs *pflag.FlagSet, sign bool) {
	if sign {
		fs.StringVar(&c.SignKey, "sign-key", "", "")
		CompleteFile(fs, "sign-key", "")
	}
	fs.StringVar(&c.AllowedSigners, "allowed-signers", "", "")
	CompleteFile(fs, "allowed-signers", "")
}

// Signer loads the signing key, asking for its passphrase on the terminal
// when it is encrypted and ssh-agent does not hold it; nil without
// --sign-key. It is called before anything is read or written, so that a
// key that cannot sign stops the run at once.
func (c *CustodyFlags) Signer(ctx context.Context, ui *UI) (*custody.Signer, error) {
	if c.SignKey == "" {
		return nil, nil
	}
	s, err := custody.LoadSigner(c.SignKey, Passphrase(ctx, "Enter passphrase for "+c.SignKey+": ", ui))
	if err != nil {
		return nil, fmt.Errorf("--sign-key %s: %w", c.SignKey, err)
	}
	return s, nil
}

// Verifier reads the allowed signers; nil without --allowed-signers.
func (c *CustodyFlags) Verifier() (*custody.Verifier, error) {
	if c.AllowedSigners == "" {
		return nil, nil
	}
	v, err := custody.LoadVerifier(c.AllowedSigners)
	if err != nil {
		return nil, fmt.Errorf("--allowed-signers %s: %w", c.AllowedSigners, err)
	}
	return v, nil
}
