package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func newProgramTemplatesCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "templates --team T",
		Short:   "List the program templates programs can be generated from",
		Example: "  sc program templates --team t1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).ListProgramTemplates(ctx, &programmingv1.ListProgramTemplatesRequest{TeamId: team})
			if err != nil {
				return opts.callFailed("list templates", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				fmt.Fprintln(w, "TEMPLATE\tNAME\tWEEKS\tDELOAD WEEKS\tDESCRIPTION")
				for _, t := range resp.GetTemplates() {
					fmt.Fprintf(w, "%s\t%s\t%d\t%v\t%s\n", t.GetTemplateId(), t.GetName(), t.GetDefaultWeeks(), t.GetIncludesDeloadWeeks(), oneLine(t.GetDescription(), 60))
				}
				return nil
			})
		},
	}, programmingv1.ProgrammingService_ListProgramTemplates_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func newProgramListCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "list --team T",
		Short:   "List a team's programs",
		Example: "  sc program list --team t1\n  sc program list --team t1 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).ListPrograms(ctx, &programmingv1.ListProgramsRequest{TeamId: team})
			if err != nil {
				return opts.callFailed("list programs", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				fmt.Fprintf(w, "PROGRAM\tNAME\tTEMPLATE\tWEEKS\tREPEATS\tCREATED (%s)\tREVISION\n", opts.location())
				for _, p := range resp.GetPrograms() {
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%v\t%s\t%d\n", p.GetProgramId(), p.GetName(), orText(p.GetTemplateId()), len(p.GetWeeks()),
						p.GetRepeats(), opts.timeText(p.GetCreatedAt()), p.GetRevision())
				}
				if len(resp.GetPrograms()) == 0 {
					fmt.Fprintln(w, "(no programs)")
				}
				return nil
			})
		},
	}, programmingv1.ProgrammingService_ListPrograms_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func newProgramGetCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "get PROGRAM_ID --team T",
		Short:   "Show a program week by week; -o json gives the whole program, which `program create/update --file` read",
		Example: "  sc program get 0193a5c2-... --team t1\n  sc program get 0193a5c2-... --team t1 -o yaml > program.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).GetProgram(ctx, &programmingv1.GetProgramRequest{TeamId: team, ProgramId: args[0]})
			if err != nil {
				return opts.callFailed("read program", err)
			}
			p := resp.GetProgram()
			return render(opts.out, output, resp, func(w io.Writer) error {
				fmt.Fprintf(w, "PROGRAM\t%s (%s), revision %d\n", p.GetProgramId(), p.GetName(), p.GetRevision())
				fmt.Fprintln(w, "WEEK\tLABEL\tDELOAD\tSESSIONS\tEXERCISES")
				for _, wk := range p.GetWeeks() {
					exercises := 0
					for _, s := range wk.GetSessions() {
						exercises += len(s.GetExercises())
					}
					fmt.Fprintf(w, "%d\t%s\t%v\t%d\t%d\n", wk.GetWeek(), orText(wk.GetLabel()), wk.GetDeload(), len(wk.GetSessions()), exercises)
				}
				return nil
			})
		},
	}, programmingv1.ProgrammingService_GetProgram_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

// readProgramFile reads a program from JSON or YAML: a Program, or what `sc program get -o
// json|yaml` printed (the program inside a response).
func readProgramFile(path string) (*programmingv1.Program, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, usagef("--file %s: neither JSON nor YAML: %v", path, err)
	}
	lenient := protojson.UnmarshalOptions{DiscardUnknown: true}
	var wrapped programmingv1.GetProgramResponse
	if err := lenient.Unmarshal(doc, &wrapped); err == nil && wrapped.GetProgram() != nil {
		return wrapped.GetProgram(), nil
	}
	var p programmingv1.Program
	if err := protojson.Unmarshal(doc, &p); err != nil {
		return nil, usagef("--file %s: not a program: %v", path, err)
	}
	return &p, nil
}

func newProgramCreateCmd(opts *options) *cobra.Command {
	var team, name, description, template, file string
	var lifts []string
	var weeks, sessions uint32
	var increment float64
	cmd := covers(&cobra.Command{
		Use:   "create --team T --name N (--template T --lift SPEC... | --file program.json)",
		Short: "Create a program from a template or from a file (JSON or YAML, e.g. edited from `program get -o yaml`)",
		Example: "  sc program create --team t1 --name 'Off-season' --template linear_progression --lift \"Back Squat:squat:5x5@70\"\n" +
			"  sc program create --team t1 --name 'Custom block' --file block.yaml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			if (template == "") == (file == "") {
				return usagef("give exactly one of --template or --file")
			}
			req := &programmingv1.CreateProgramRequest{TeamId: team, Name: name, Description: description}
			if template != "" {
				o := &programmingv1.TemplateOptions{Weeks: weeks, SessionsPerWeek: sessions, WeeklyIncrementPercent: increment}
				for _, l := range lifts {
					tl, err := parseTemplateLift(l)
					if err != nil {
						return err
					}
					o.Lifts = append(o.Lifts, tl)
				}
				req.Source, req.TemplateOptions = &programmingv1.CreateProgramRequest_TemplateId{TemplateId: template}, o
			} else {
				p, err := readProgramFile(file)
				if err != nil {
					return err
				}
				p.ProgramId, p.Revision, p.CreatedAt, p.CreatedBy = "", 0, nil, nil
				if name == "" {
					req.Name = p.GetName()
				}
				req.Source = &programmingv1.CreateProgramRequest_Custom{Custom: p}
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).CreateProgram(ctx, req)
			if err != nil {
				return opts.callFailed("create program", err)
			}
			_, err = fmt.Fprintf(opts.out, "created program %s (%s, %d weeks)\n", resp.GetProgram().GetProgramId(), resp.GetProgram().GetName(), len(resp.GetProgram().GetWeeks()))
			return err
		},
	}, programmingv1.ProgrammingService_CreateProgram_FullMethodName)
	teamFlag(cmd, &team, "")
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "program name")
	f.StringVar(&description, "description", "", "what the program is for")
	f.StringVar(&template, "template", "", "generate from this template (sc program templates)")
	f.StringVar(&file, "file", "", "a program in JSON or YAML")
	f.StringArrayVar(&lifts, "lift", nil, "template lift \"Exercise:lift:SETSxREPS@PERCENT\"; repeatable")
	f.Uint32Var(&weeks, "weeks", 0, "weeks to generate (0: the template's default)")
	f.Uint32Var(&sessions, "sessions", 0, "sessions per week (0: 3)")
	f.Float64Var(&increment, "increment", 0, "weekly progression in % of training max (0: 2.5)")
	return cmd
}

func newProgramUpdateCmd(opts *options) *cobra.Command {
	var team, name, description, file string
	var revision int64
	cmd := covers(&cobra.Command{
		Use:   "update PROGRAM_ID --team T [--name N] [--description D] [--file program.yaml]",
		Short: "Change a program: its name, description, or all of it from a file (revision-checked)",
		Example: "  sc program get 0193a5c2-... --team t1 -o yaml > p.yaml   # edit p.yaml, then\n" +
			"  sc program update 0193a5c2-... --team t1 --file p.yaml",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			if file == "" && !cmd.Flags().Changed("name") && !cmd.Flags().Changed("description") {
				return usagef("nothing to change: give --name, --description or --file")
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			client := programmingv1.NewProgrammingServiceClient(conn)
			got, err := client.GetProgram(ctx, &programmingv1.GetProgramRequest{TeamId: team, ProgramId: args[0]})
			if err != nil {
				return opts.callFailed("read program", err)
			}
			p := got.GetProgram()
			expected := p.GetRevision()
			if file != "" {
				if p, err = readProgramFile(file); err != nil {
					return err
				}
				if p.GetProgramId() != "" && p.GetProgramId() != args[0] {
					return usagef("--file holds program %s, not %s", p.GetProgramId(), args[0])
				}
				p.ProgramId, p.TeamId = args[0], team
				// A file from `program get` carries the revision it was read at: writing it back
				// must not overwrite a change made since.
				if p.GetRevision() != 0 {
					expected = p.GetRevision()
				}
			}
			if cmd.Flags().Changed("name") {
				p.Name = name
			}
			if cmd.Flags().Changed("description") {
				p.Description = description
			}
			if revision >= 0 {
				expected = uint64(revision)
			}
			resp, err := client.UpdateProgram(ctx, &programmingv1.UpdateProgramRequest{TeamId: team, Program: p, ExpectedRevision: &expected})
			if err != nil {
				return opts.callFailed("update program", err)
			}
			_, err = fmt.Fprintf(opts.out, "program %s updated (revision %d)\n", resp.GetProgram().GetProgramId(), resp.GetProgram().GetRevision())
			return err
		},
	}, programmingv1.ProgrammingService_UpdateProgram_FullMethodName, programmingv1.ProgrammingService_GetProgram_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&description, "description", "", "new description")
	cmd.Flags().StringVar(&file, "file", "", "the whole program in JSON or YAML")
	revisionFlag(cmd, &revision, "program")
	return cmd
}

func newProgramPrescriptionCmd(opts *options) *cobra.Command {
	var team, athlete, day, output string
	var week bool
	cmd := covers(&cobra.Command{
		Use:     "prescription --team T --athlete A [--date YYYY-MM-DD] [--week]",
		Aliases: []string{"today"},
		Short:   "What an athlete should do on a day (default today) or in its week, deloads applied",
		Example: "  sc program prescription --team t1 --athlete a42\n  sc program prescription --team t1 --athlete a42 --date 2026-03-09 --week -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			if err := needTeam(team); err != nil {
				return err
			}
			if athlete == "" {
				return usagef("--athlete is required")
			}
			date, err := progParseDate("date", day)
			if err != nil {
				return err
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).GetPrescription(ctx,
				&programmingv1.GetPrescriptionRequest{TeamId: team, AthleteId: athlete, Date: date, WholeWeek: week})
			if err != nil {
				return opts.callFailed("read prescription", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error { return writePrescription(w, resp.GetPrescription()) })
		},
	}, programmingv1.ProgrammingService_GetPrescription_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id")
	cmd.Flags().StringVar(&day, "date", "", "the day (YYYY-MM-DD); default today")
	cmd.Flags().BoolVar(&week, "week", false, "the whole week containing the day")
	outputFlag(cmd, &output)
	return cmd
}
