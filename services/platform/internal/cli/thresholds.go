package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func init() { subcommands = append(subcommands, newThresholdsCmd, newPolicyCmd) }

// revisionFlag is --revision of a revision-checked change; negative means "do not check".
func revisionFlag(cmd *cobra.Command, revision *int64, of string) {
	cmd.Flags().Int64Var(revision, "revision", -1, "change only if the "+of+" is still at this revision (from get); default: no check")
}

func expectedRevision(revision int64) *uint64 {
	if revision < 0 {
		return nil
	}
	r := uint64(revision)
	return &r
}

func newThresholdsCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "thresholds", Short: "Read and change the fatigue thresholds of a team or of one athlete"}
	var team, athlete, output string
	get := covers(&cobra.Command{
		Use:   "get --team T [--athlete A]",
		Short: "Show the effective thresholds (defaults, team overrides, athlete overrides) and which are overridden here",
		Example: "  sc thresholds get --team t1\n" +
			"  sc thresholds get --team t1 --athlete a42 -o yaml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := fatiguev1.NewFatigueServiceClient(conn).GetThresholds(ctx, &fatiguev1.GetThresholdsRequest{TeamId: team, AthleteId: athlete})
			if err != nil {
				return opts.callFailed("read thresholds", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				return writeSettings(w, leafRows(resp.GetThresholds().ProtoReflect(), ""), resp.GetOverriddenPaths(), resp.GetRevision())
			})
		},
	}, fatiguev1.FatigueService_GetThresholds_FullMethodName)
	teamFlag(get, &team, "")
	get.Flags().StringVar(&athlete, "athlete", "", "one athlete (team values with the athlete's overrides)")
	outputFlag(get, &output)

	update := func(reset bool) *cobra.Command {
		var team, athlete string
		var revision int64
		use, short, example := "set --team T [--athlete A] PATH=VALUE...", "Override thresholds at the team or athlete level",
			"  sc thresholds set --team t1 load.acwr_high=1.6 rule.cooldown_days=10\n"+
				"  sc thresholds set --team t1 --athlete a42 --revision 3 wellness.min_flagged_reports=3"
		if reset {
			use, short, example = "reset --team T [--athlete A] PATH...", "Drop overrides so the paths inherit again (team from defaults, athlete from team)",
				"  sc thresholds reset --team t1 --athlete a42 load.acwr_high"
		}
		c := covers(&cobra.Command{
			Use:     use,
			Short:   short,
			Example: example,
			Args:    cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := needTeam(team); err != nil {
					return err
				}
				req := &fatiguev1.UpdateThresholdsRequest{TeamId: team, AthleteId: athlete, Reset_: reset,
					Thresholds: &fatiguev1.FatigueThresholds{}, ExpectedRevision: expectedRevision(revision)}
				paths := args
				if !reset {
					var err error
					if paths, err = parseAssignments(req.Thresholds.ProtoReflect(), args); err != nil {
						return err
					}
				}
				req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
				conn, ctx, done, err := opts.connect(cmd)
				if err != nil {
					return err
				}
				defer done()
				resp, err := fatiguev1.NewFatigueServiceClient(conn).UpdateThresholds(ctx, req)
				if err != nil {
					return opts.callFailed("update thresholds", err)
				}
				level := "team " + team
				if athlete != "" {
					level = "athlete " + athlete + " of team " + team
				}
				fmt.Fprintf(opts.out, "thresholds of %s at revision %d:\n", level, resp.GetRevision())
				tw := newTable(opts.out)
				for _, r := range leafRows(resp.GetThresholds().ProtoReflect(), "") {
					if slices.Contains(paths, r.path) {
						fmt.Fprintf(tw, "  %s\t%s\n", r.path, r.value)
					}
				}
				return tw.Flush()
			},
		}, fatiguev1.FatigueService_UpdateThresholds_FullMethodName)
		teamFlag(c, &team, "")
		c.Flags().StringVar(&athlete, "athlete", "", "one athlete; default the team level")
		revisionFlag(c, &revision, "stored override set")
		return c
	}
	cmd.AddCommand(get, update(false), update(true))
	return cmd
}

func newPolicyCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Read and change a team's programming policy (auto-approval, planned deloads, deload dose)"}
	var team, output string
	get := covers(&cobra.Command{
		Use:     "get --team T",
		Short:   "Show the team's programming policy",
		Example: "  sc policy get --team t1\n  sc policy get --team t1 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).GetPolicy(ctx, &programmingv1.GetPolicyRequest{TeamId: team})
			if err != nil {
				return opts.callFailed("read policy", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				return writeSettings(w, leafRows(resp.GetPolicy().ProtoReflect(), ""), nil, resp.GetRevision())
			})
		},
	}, programmingv1.ProgrammingService_GetPolicy_FullMethodName)
	teamFlag(get, &team, "")
	outputFlag(get, &output)

	var setTeam string
	var revision int64
	set := covers(&cobra.Command{
		Use:   "set --team T PATH=VALUE...",
		Short: "Change fields of the team's programming policy",
		Example: "  sc policy set --team t1 auto_approve_reactive=true reactive_cooldown_days=21\n" +
			"  sc policy set --team t1 --revision 4 deload.load_percent=60",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needTeam(setTeam); err != nil {
				return err
			}
			policy := &programmingv1.ProgrammingPolicy{}
			paths, err := parseAssignments(policy.ProtoReflect(), args)
			if err != nil {
				return err
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).UpdatePolicy(ctx, &programmingv1.UpdatePolicyRequest{
				TeamId: setTeam, Policy: policy, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}, ExpectedRevision: expectedRevision(revision)})
			if err != nil {
				return opts.callFailed("update policy", err)
			}
			fmt.Fprintf(opts.out, "policy of team %s at revision %d:\n", setTeam, resp.GetRevision())
			tw := newTable(opts.out)
			for _, r := range leafRows(resp.GetPolicy().ProtoReflect(), "") {
				if slices.ContainsFunc(paths, func(p string) bool { return r.path == p || strings.HasPrefix(r.path, p+".") }) {
					fmt.Fprintf(tw, "  %s\t%s\n", r.path, r.value)
				}
			}
			return tw.Flush()
		},
	}, programmingv1.ProgrammingService_UpdatePolicy_FullMethodName)
	teamFlag(set, &setTeam, "")
	revisionFlag(set, &revision, "policy")
	cmd.AddCommand(get, set)
	return cmd
}

// writeSettings draws a settings message as PATH VALUE rows, marking overridden paths.
func writeSettings(w io.Writer, rows []fieldRow, overridden []string, revision uint64) error {
	fmt.Fprintf(w, "PATH\tVALUE\tOVERRIDDEN HERE\n")
	for _, r := range rows {
		mark := ""
		if slices.ContainsFunc(overridden, func(p string) bool { return r.path == p || strings.HasPrefix(r.path, p+".") }) {
			mark = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.path, r.value, mark)
	}
	_, err := fmt.Fprintf(w, "revision\t%d\t\n", revision)
	return err
}
