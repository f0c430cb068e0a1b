package cli

import (
	"strings"
	"testing"
)

func TestSubscribeCheckinReminderFlag(t *testing.T) {
	f := subscribeFlags{team: "t1", webhook: "https://hooks.example.com/athletes", checkinReminder: "08:30", tz: "Europe/Berlin"}
	sub, err := f.subscription()
	if err != nil {
		t.Fatal(err)
	}
	r := sub.GetCheckinReminder()
	if !r.GetEnabled() || r.GetSendMinute() != 8*60+30 || r.GetTimeZone() != "Europe/Berlin" {
		t.Fatalf("checkin_reminder %v, want enabled at minute 510 in Europe/Berlin", r)
	}

	f.checkinReminder = "8h30"
	if _, err := f.subscription(); err == nil || !strings.Contains(err.Error(), "--checkin-reminder") {
		t.Fatalf("bad time: %v, want an error naming --checkin-reminder", err)
	}

	f.checkinReminder = ""
	if sub, err := f.subscription(); err != nil || sub.GetCheckinReminder() != nil {
		t.Fatalf("without the flag: %v, %v; want no reminder", sub.GetCheckinReminder(), err)
	}
}
