package jsonapi_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/jsonapi"
)

// watcher answers WatchAlerts with one change and then holds the stream open, as the real
// service does while nothing happens; GetAlert knows no alert.
type watcher struct {
	notificationsv1.UnimplementedNotificationServiceServer
}

func (watcher) WatchAlerts(_ *notificationsv1.WatchAlertsRequest, ss grpc.ServerStreamingServer[notificationsv1.WatchAlertsResponse]) error {
	if err := ss.Send(&notificationsv1.WatchAlertsResponse{EventId: "first"}); err != nil {
		return err
	}
	<-ss.Context().Done()
	return ss.Context().Err()
}

func (watcher) GetAlert(context.Context, *notificationsv1.GetAlertRequest) (*notificationsv1.GetAlertResponse, error) {
	return nil, status.Error(codes.NotFound, "no such alert")
}

// TestShutdownEndsStreamsOnly: Shutdown ends an open WatchAlerts over HTTP at once (a graceful
// stop would otherwise wait for it until its deadline), and unary calls keep working.
func TestShutdownEndsStreamsOnly(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	notificationsv1.RegisterNotificationServiceServer(srv, watcher{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	api, err := jsonapi.NewHandler(conn, []string{notificationsv1.NotificationService_ServiceDesc.ServiceName}, nil)
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(api)
	t.Cleanup(web.Close)
	base := web.URL + jsonapi.Prefix + "/supercomp.notifications.v1.NotificationService/"

	resp, err := http.Post(base+"WatchAlerts", "application/json", strings.NewReader(`{"teamId": "t1"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := bufio.NewReader(resp.Body)
	first, err := body.ReadString('\n')
	if err != nil || !strings.Contains(first, `"eventId":"first"`) {
		t.Fatalf("first line of the stream = %q, %v", first, err)
	}

	api.Shutdown()
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(body)
		rest <- string(b)
	}()
	select {
	case tail := <-rest:
		if !strings.Contains(tail, `"error"`) {
			t.Errorf("the stream ended without an error line: %q", tail)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream was still open 10s after Shutdown")
	}

	got, err := http.Post(base+"GetAlert", "application/json", strings.NewReader(`{"teamId": "t1", "alertId": "a1"}`))
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	if got.StatusCode != http.StatusNotFound {
		t.Errorf("GetAlert after Shutdown = %d, want 404 (NotFound from the service)", got.StatusCode)
	}
}
