package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/credreview/credreview/formats"
)

// Passphrase returns how to ask for the passphrase of an encrypted signing
// key, as sshsig.LoadSigner (custody.LoadSigner) wants it: a func that
// writes prompt to the terminal and reads a line from it without echo.
// It asks on /dev/tty, as ssh-keygen does, so that it works while standard
// input and output carry data or are redirected.
//
// It returns nil when there is no terminal to ask on (no /dev/tty, as under
// cron or CI, or one that ui does not take for a terminal): LoadSigner
// then fails with its hint to add the key to ssh-agent, rather than wait
// for an answer no one can give.
//
// When ctx is done while it waits (Ctrl-C), the terminal's echo is turned
// back on and the func returns ctx's error: a second Ctrl-C, which ends
// the process at once, must not leave the terminal without echo.
func Passphrase(ctx context.Context, prompt string, ui *UI) func() ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	isTTY := ui.Terminal(tty)
	tty.Close()
	if !isTTY {
		return nil
	}
	return func() ([]byte, error) {
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("open the terminal: %w", err)
		}
		fd := int(tty.Fd())
		state, err := term.GetState(fd)
		if err != nil {
			tty.Close()
			return nil, fmt.Errorf("read the terminal's state: %w", err)
		}
		if _, err := fmt.Fprint(tty, formats.Visible(prompt)); err != nil {
			tty.Close()
			return nil, err
		}
		type answer struct {
			pass []byte
			err  error
		}
		done := make(chan answer, 1)
		go func() {
			pass, err := term.ReadPassword(fd)
			done <- answer{pass, err}
		}()
		select {
		case a := <-done:
			fmt.Fprintln(tty) // the Enter that was not echoed
			tty.Close()
			if a.err != nil {
				return nil, a.err
			}
			if len(a.pass) == 0 {
				return nil, errors.New("no passphrase given")
			}
			return a.pass, nil
		case <-ctx.Done():
			// The read stays blocked until the process ends; the terminal
			// is put back now.
			term.Restore(fd, state)
			fmt.Fprintln(tty)
			return nil, fmt.Errorf("interrupted: %w", ctx.Err())
		}
	}
}
