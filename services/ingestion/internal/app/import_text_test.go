package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/natspub"
	"github.com/supercomp/supercomp/services/ingestion/internal/app"
	"github.com/supercomp/supercomp/services/ingestion/internal/importer"
)

// A row whose text is not UTF-8 (a file saved in Latin-1) is rejected with its line and the
// column that holds the bad text, not with an encoder's error under "record"; a date centuries
// ahead is reported as a date, not an overflowed duration. The good row is imported.
func TestImportReportsBadTextAndFarFutureDates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := bustest.New(t)
	in := app.NewIngester(natspub.New(b), nil, nil)
	csv := "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n" +
		"2026-01-05 18:00:00,\"Leg day\",1h,\"Squat (Barbell)\",1,100.0,5.0,0,0,\"\",\"\",8\n" +
		"2026-01-05 18:00:00,\"Leg day\",1h,\"Sentadilla \xf1\",2,100.0,5.0,0,0,\"\",\"\",8\n" +
		"2526-01-05 18:00:00,\"Leg day\",1h,\"Squat (Barbell)\",1,100.0,5.0,0,0,\"\",\"\",8\n"
	rep, err := in.Import(ctx, []byte(csv), importer.Options{Team: "t1", Athlete: "a1", Format: importer.FormatStrong}, false)
	if err != nil {
		t.Fatal(err)
	}
	var text, future *app.Issue
	for i, is := range rep.Issues {
		switch {
		case strings.Contains(is.Message, "UTF-8"):
			text = &rep.Issues[i]
		case strings.Contains(is.Message, "in the future"):
			future = &rep.Issues[i]
		}
	}
	if text == nil || text.Line != 3 || text.Column != "exercise" {
		t.Errorf("bad text issue %+v, want line 3, column exercise (issues %+v)", text, rep.Issues)
	}
	if future == nil || !strings.Contains(future.Message, "2526-01-05") {
		t.Errorf("far-future issue %+v, want the date (issues %+v)", future, rep.Issues)
	}
	if rep.Kinds["set"] == nil || rep.Imported == 0 {
		t.Errorf("the good row was not imported: %+v", rep)
	}
}
