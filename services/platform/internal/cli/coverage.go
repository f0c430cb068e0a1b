package cli

import (
	"strings"

	"github.com/spf13/cobra"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

// Command annotations sc reads about itself.
const (
	// annotationRPCs lists, comma-separated, the full gRPC methods a command calls, so a test
	// can show that every RPC of the API is reachable from sc or left out for a reason.
	annotationRPCs = "sc.rpcs"
	// annotationOutput lists the -o formats a command writes.
	annotationOutput = "sc.output"
)

// covers declares the RPCs (full method names, from the generated *_FullMethodName
// constants) that cmd calls.
func covers(cmd *cobra.Command, methods ...string) *cobra.Command {
	if prev := cmd.Annotations[annotationRPCs]; prev != "" {
		methods = append(strings.Split(prev, ","), methods...)
	}
	cmd.Annotations = withAnnotation(cmd.Annotations, annotationRPCs, strings.Join(methods, ","))
	return cmd
}

func withAnnotation(a map[string]string, key, value string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	a[key] = value
	return a
}

// rpcsWithoutCommand are the RPCs sc has no command for, each with the reason. Anything else
// in the API must be reachable from a command (TestEveryRPCIsCoveredBySC).
var rpcsWithoutCommand = map[string]string{
	ingestionv1.IngestionService_RecordSet_FullMethodName:       "device and app ingestion: sc brings training files in with `sc import`",
	ingestionv1.IngestionService_RecordSession_FullMethodName:   "device and app ingestion: sc brings training files in with `sc import`",
	ingestionv1.IngestionService_RecordWellness_FullMethodName:  "athletes report wellness in the console's check-in (`sc checkin link`)",
	ingestionv1.IngestionService_RecordReadiness_FullMethodName: "device ingestion (force plates, HRV straps)",
	ingestionv1.IngestionService_StreamRecords_FullMethodName:   "high-rate device ingestion over one stream; sc imports files instead",
	authv1.AuthService_RevokeToken_FullMethodName:               "the console's sign-out ends its session's token; sc's own tokens end at their expiry or with their key (`sc keys revoke`)",
	authv1.AuthService_GetPreferences_FullMethodName:            "display preferences (kg or lb) belong to the console, which reads them for the signed-in person",
	authv1.AuthService_SetPreferences_FullMethodName:            "display preferences are set from the console's header, per signed-in person",
	authv1.AuthService_CreateCheckinKey_FullMethodName:          "coaches hand out check-in links on the console's athlete page; admins use `sc checkin link`",
	authv1.AuthService_ListCheckinKeys_FullMethodName:           "coaches see an athlete's check-in links on the console; admins use `sc keys list`",
	authv1.AuthService_RevokeCheckinKey_FullMethodName:          "coaches revoke check-in links on the console; admins use `sc keys revoke`",
}
