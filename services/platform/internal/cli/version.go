package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/supercomp/supercomp/pkg/version"
)

func newVersionCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the sc version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(opts.out, "sc %s\n", version.String())
			return err
		},
	}
}
