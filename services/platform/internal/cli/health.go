package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
)

// healthTargets are the health entries `sc health` reports: the server as a whole ("") and each
// Supercomp service, so an operator sees at once which part is not serving.
var healthTargets = []string{
	"",
	ingestionv1.IngestionService_ServiceDesc.ServiceName,
	fatiguev1.FatigueService_ServiceDesc.ServiceName,
	trendsv1.TrendsService_ServiceDesc.ServiceName,
	programmingv1.ProgrammingService_ServiceDesc.ServiceName,
	notificationsv1.NotificationService_ServiceDesc.ServiceName,
}

func newHealthCmd(opts *options) *cobra.Command {
	var only []string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Check that the platform and each of its services are serving",
		Long: "Check that the platform and each of its services are serving. Against a standalone\n" +
			"service, name it with --service (container health checks do this).",
		Example: "  sc health\n  sc health --addr fatigue:7400 --service supercomp.fatigue.v1.FatigueService",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			targets := healthTargets
			if len(only) > 0 {
				targets = append([]string{""}, only...)
			}
			conn, err := opts.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			client := healthpb.NewHealthClient(conn)

			tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SERVICE\tSTATUS")
			notServing := 0
			for _, name := range targets {
				ctx, cancel := context.WithTimeout(cmd.Context(), opts.timeout)
				resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
				cancel()
				state := ""
				switch {
				case err == nil:
					state = resp.GetStatus().String()
				case status.Code(err) == codes.NotFound:
					state = "NOT_REGISTERED"
				case status.Code(err) == codes.Unavailable || status.Code(err) == codes.DeadlineExceeded:
					return opts.callFailed("", err)
				default:
					return fmt.Errorf("health check %q: %w", name, err)
				}
				if state != healthpb.HealthCheckResponse_SERVING.String() {
					notServing++
				}
				label := name
				if label == "" {
					label = "(server)"
				}
				fmt.Fprintf(tw, "%s\t%s\n", label, state)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if notServing > 0 {
				return fmt.Errorf("%d of %d health entries are not serving", notServing, len(targets))
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&only, "service", nil,
		"check only these gRPC services (full names, e.g. supercomp.ingestion.v1.IngestionService) besides the server itself")
	return cmd
}
