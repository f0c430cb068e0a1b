package auth

import (
	"fmt"
	"slices"

	"github.com/supercomp/supercomp/pkg/bus"
)

// serviceSubjects are the event subjects each service publishes (docs/architecture.md "Services").
var serviceSubjects = map[string][]string{
	"ingestion":     {bus.SubjectsTraining},
	"fatigue":       {bus.SubjectsAnalysis},
	"programming":   {bus.SubjectsProgramming},
	"notifications": {bus.SubjectsNotify},
}

// sharedPublish are what every service publishes besides its own events: audit records, dead
// letters from its consumers, the JetStream API (stream and consumer info, pull requests, KV
// reads), acks, key-value writes (its own state buckets, and keys and grants for hosts that
// serve AuthService), and the flow-control replies of key-value watches (auth.TeamZones), without
// which the server stops delivering to a watch after about 1 MiB.
var sharedPublish = []string{bus.SubjectsAudit, bus.SubjectsDLQ, "$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "$KV.>"}

// sharedSubscribe: replies (publish acks, pulled messages) come to the client's inboxes.
var sharedSubscribe = []string{"_INBOX.>"}

// ServiceNATSUsers are the per-service NATS users with publish permissions limited to the
// subjects each service needs, one per entry of passwords (service name -> password); the name
// "platform" is the all-in-one and operators, allowed everything. A service publishing another
// service's events is refused by the server.
func ServiceNATSUsers(passwords map[string]string) ([]bus.EmbeddedUser, error) {
	var users []bus.EmbeddedUser
	names := make([]string, 0, len(passwords))
	for name := range passwords {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		u := bus.EmbeddedUser{Name: name, Password: passwords[name]}
		if name == "platform" {
			u.Publish, u.Subscribe = []string{">"}, []string{">"}
		} else {
			own, ok := serviceSubjects[name]
			if !ok {
				return nil, fmt.Errorf("nats user %q: not a Supercomp service", name)
			}
			u.Publish = append(slices.Clone(own), sharedPublish...)
			u.Subscribe = slices.Clone(sharedSubscribe)
		}
		users = append(users, u)
	}
	return users, nil
}
