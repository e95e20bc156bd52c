// Package confirm asks the user before a command changes the cluster, and refuses to ask where nobody can
// answer.
package confirm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/iostreams"
)

// ErrDeclined is returned when the user answers anything but yes.
var ErrDeclined = errors.New("cancelled: nothing was changed")

// Ask prints question and reads one line; only "y" or "yes" (any case) proceeds.
func Ask(in io.Reader, out io.Writer, question string) (bool, error) {
	fmt.Fprint(out, question+" (y/N) ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// Proceed asks question on the terminal unless skip (-y) is set. Without a terminal on stdin and stderr it
// never asks: it fails with a usage error that names -y, so a script or CI job cannot hang on a prompt.
func Proceed(f *factory.Factory, skip bool, question string) error {
	if skip {
		return nil
	}
	if !iostreams.IsTerminal(f.IOStreams.In) || !iostreams.IsTerminal(f.IOStreams.ErrOut) {
		return exitcode.UsageError(errors.New("this command changes the cluster and needs confirmation, but there is no terminal to ask on: pass -y (--skip-confirmation) to proceed"))
	}
	ok, err := Ask(f.IOStreams.In, f.IOStreams.ErrOut, question)
	if err != nil {
		return err
	}
	if !ok {
		return exitcode.WithCode(exitcode.Error, ErrDeclined)
	}
	return nil
}
