package auth

import (
	"context"
	"fmt"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// PlatformTeam is the team token of audit events that concern no team (an admin key, a signing
// key rotation). Team ids may not start with '_', so it never collides with a real team.
const PlatformTeam = "_platform"

// AuditSource is the envelope source of the audit events this package publishes.
const AuditSource = "auth"

// Audit describes one audited action.
type Audit struct {
	Actor        *commonv1.Actor
	Action       string // "apikey.create", "apikey.revoke", "grant.update", "signing_key.rotate", "team.create"
	ResourceType string
	ResourceID   string
	RPC          string
	Detail       string
	// Teams the action concerns: one event is recorded per team, so each team's audit trail is
	// complete on its own subjects; none means PlatformTeam.
	Teams []string
}

// RecordAudit publishes AuditRecorded events on the AUDIT stream, returning once JetStream has
// them.
func RecordAudit(ctx context.Context, b *bus.Bus, a Audit) error {
	teams := a.Teams
	if len(teams) == 0 {
		teams = []string{PlatformTeam}
	}
	for _, team := range teams {
		ev := &eventsv1.Event{
			TeamId: team,
			Source: AuditSource,
			Payload: &eventsv1.Event_AuditRecorded{AuditRecorded: &eventsv1.AuditRecorded{
				Actor: a.Actor, Action: a.Action, ResourceType: a.ResourceType, ResourceId: a.ResourceID,
				Rpc: a.RPC, Detail: a.Detail,
			}},
		}
		if _, err := events.Publish(ctx, b, ev); err != nil {
			return fmt.Errorf("audit %s on team %s: %w", a.Action, team, err)
		}
	}
	return nil
}
