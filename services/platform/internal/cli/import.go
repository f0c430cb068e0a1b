package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

func init() { subcommands = append(subcommands, newImportCmd) }

// importChunkSize is how much of the file each ImportCSV message carries.
const importChunkSize = 256 << 10

// importFormats maps the command's format word to the API's.
var importFormats = map[string]ingestionv1.ImportFormat{
	"strong":   ingestionv1.ImportFormat_IMPORT_FORMAT_STRONG,
	"hevy":     ingestionv1.ImportFormat_IMPORT_FORMAT_HEVY,
	"fitnotes": ingestionv1.ImportFormat_IMPORT_FORMAT_FITNOTES,
	"csv":      ingestionv1.ImportFormat_IMPORT_FORMAT_TEMPLATE,
	"template": ingestionv1.ImportFormat_IMPORT_FORMAT_TEMPLATE,
	"pmdata":   ingestionv1.ImportFormat_IMPORT_FORMAT_PMDATA,
	"auto":     ingestionv1.ImportFormat_IMPORT_FORMAT_UNSPECIFIED,
}

func newImportCmd(opts *options) *cobra.Command {
	var (
		team, athlete, unit, tz, output string
		dryRun                          bool
	)
	cmd := &cobra.Command{
		Use:   "import <strong|hevy|fitnotes|csv|pmdata|auto> FILE --team T --athlete A",
		Short: "Import a training app export (Strong, Hevy, FitNotes), a PMData file or the Supercomp template CSV",
		Long: "Import sends FILE to the platform, which accounts for every row: imported, already stored,\n" +
			"skipped with a reason (rest timers, cardio rows, ...) or rejected with its line and column.\n" +
			"Importing the same file again adds nothing; --dry-run reports what would happen. A progress bar\n" +
			"is drawn on stderr when it is a terminal (never with --quiet).",
		Example: "  sc import strong strong_export.csv --team t1 --athlete a42\n" +
			"  sc import hevy workouts.csv --team t1 --athlete a42 --dry-run -o json\n" +
			"  sc import csv template.csv --team t1 --athlete a42 --time-zone Europe/Oslo",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			format, ok := importFormats[strings.ToLower(args[0])]
			if !ok {
				return usagef("unknown format %q: want strong, hevy, fitnotes, csv, pmdata or auto", args[0])
			}
			if err := needTeam(team); err != nil {
				return err
			}
			if athlete == "" {
				return usagef("--athlete is required")
			}
			weightUnit := commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED
			switch strings.ToLower(unit) {
			case "", "kg":
			case "lb", "lbs":
				weightUnit = commonv1.WeightUnit_WEIGHT_UNIT_LB
			default:
				return usagef("--unit %q: want kg or lb", unit)
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			info, err := f.Stat()
			if err != nil {
				return err
			}
			conn, err := opts.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			// An import of a large file takes longer than one ordinary call.
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*opts.timeout)
			defer cancel()
			stream, err := ingestionv1.NewIngestionServiceClient(conn).ImportCSV(ctx)
			if err != nil {
				return opts.callFailed("import", err)
			}
			err = stream.Send(&ingestionv1.ImportCSVRequest{TeamId: team, Part: &ingestionv1.ImportCSVRequest_Options{Options: &ingestionv1.ImportOptions{
				AthleteId: athlete, Format: format, DryRun: dryRun, FileName: filepath.Base(args[1]), DefaultUnit: weightUnit, TimeZone: tz,
			}}})
			if err != nil {
				return opts.callFailed("import", err)
			}
			progress := newUploadProgress(cmd.ErrOrStderr(), info.Size(), opts.quiet || !isTerminal(cmd.ErrOrStderr()))
			buf := make([]byte, importChunkSize)
			for {
				n, rerr := f.Read(buf)
				if n > 0 {
					if err := stream.Send(&ingestionv1.ImportCSVRequest{Part: &ingestionv1.ImportCSVRequest_Chunk{Chunk: buf[:n]}}); err != nil {
						_, err = stream.CloseAndRecv()
						return opts.callFailed("import", err)
					}
					progress.add(int64(n))
				}
				if rerr == io.EOF {
					break
				}
				if rerr != nil {
					return rerr
				}
			}
			progress.done("processing on the server...")
			resp, err := stream.CloseAndRecv()
			if err != nil {
				return opts.callFailed("import", err)
			}
			if output != outputTable {
				return render(opts.out, output, resp, nil)
			}
			return printImport(opts.out, args[1], resp)
		},
	}
	covers(cmd, ingestionv1.IngestionService_ImportCSV_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id the file belongs to (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would be imported without storing anything")
	cmd.Flags().StringVar(&unit, "unit", "", "weight unit of files that do not say (Strong comma format): kg (default) or lb")
	cmd.Flags().StringVar(&tz, "time-zone", "", "IANA time zone of the file's local times, e.g. Europe/Oslo (default UTC)")
	return cmd
}

// uploadProgress draws a one-line bar of bytes sent on w (stderr), so the summary on stdout stays
// clean for scripts.
type uploadProgress struct {
	w          io.Writer
	total      int64
	sent       int64
	quiet      bool
	lastPermil int64
}

func newUploadProgress(w io.Writer, total int64, quiet bool) *uploadProgress {
	return &uploadProgress{w: w, total: max(total, 1), quiet: quiet, lastPermil: -1}
}

func (p *uploadProgress) add(n int64) {
	p.sent += n
	if p.quiet {
		return
	}
	permil := p.sent * 1000 / p.total
	if permil/20 == p.lastPermil/20 {
		return
	}
	p.lastPermil = permil
	const width = 30
	filled := int(permil * width / 1000)
	fmt.Fprintf(p.w, "\rsending [%s%s] %3d%% %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), permil/10, humanBytes(p.sent))
}

func (p *uploadProgress) done(msg string) {
	if !p.quiet {
		fmt.Fprintf(p.w, "\rsent %s; %s\n", humanBytes(p.sent), msg)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func printImport(w io.Writer, file string, r *ingestionv1.ImportCSVResponse) error {
	mode := "imported"
	if r.GetDryRun() {
		mode = "dry run (nothing stored)"
	}
	fmt.Fprintf(w, "%s: %s as %s, sha256 %.12s\n", file, mode, importFormatWord(r.GetFormat()), r.GetFileSha256())
	if c := r.GetCovered(); c != nil {
		fmt.Fprintf(w, "covers %s to %s\n", ingestDate(c.GetStart()), ingestDate(c.GetEnd()))
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "\nROWS\tCOUNT")
	fmt.Fprintf(tw, "total\t%d\n", r.GetRowsTotal())
	fmt.Fprintf(tw, "imported\t%d\n", r.GetRowsImported())
	fmt.Fprintf(tw, "already stored\t%d\n", r.GetRowsDuplicate())
	fmt.Fprintf(tw, "skipped\t%d\n", r.GetRowsSkipped())
	fmt.Fprintf(tw, "rejected\t%d\n", r.GetRowsRejected())
	fmt.Fprintln(tw, "\nRECORDS\tNEW\tALREADY STORED\tREJECTED")
	for _, k := range []struct {
		name string
		c    *ingestionv1.RecordCounts
	}{{"sets", r.GetSets()}, {"sessions", r.GetSessions()}, {"wellness", r.GetWellness()}, {"readiness", r.GetReadiness()}} {
		if k.c.GetReceived() > 0 {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", k.name, k.c.GetAccepted(), k.c.GetDuplicates(), k.c.GetRejected())
		}
	}
	if len(r.GetSkipReasons()) > 0 {
		fmt.Fprintln(tw, "\nREASON\tROWS\tEXAMPLE LINES")
		for _, s := range r.GetSkipReasons() {
			lines := make([]string, len(s.GetExampleLines()))
			for i, l := range s.GetExampleLines() {
				lines[i] = fmt.Sprint(l)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\n", s.GetReason(), s.GetRows(), strings.Join(lines, ", "))
		}
	}
	if len(r.GetIssues()) > 0 {
		fmt.Fprintln(tw, "\nLINE\tCOLUMN\tPROBLEM")
		for i, is := range r.GetIssues() {
			if i == 20 {
				fmt.Fprintf(tw, "...\t\t%d more\n", len(r.GetIssues())-20)
				break
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", is.GetLine(), is.GetColumn(), is.GetMessage())
		}
	}
	if n := len(r.GetExercises()); n > 0 {
		fmt.Fprintln(tw, "\nEXERCISE\tCATEGORY\tROWS")
		for i, e := range r.GetExercises() {
			if i == 10 {
				fmt.Fprintf(tw, "... %d more\t\t\n", n-10)
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\n", e.GetExercise(), strings.ToLower(strings.TrimPrefix(e.GetLiftCategory().String(), "LIFT_CATEGORY_")), e.GetRows())
		}
	}
	return tw.Flush()
}

func importFormatWord(f ingestionv1.ImportFormat) string {
	return strings.ToLower(strings.TrimPrefix(f.String(), "IMPORT_FORMAT_"))
}

func ingestDate(d *commonv1.Date) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}
