// Health Watch streams at scale, graceful shutdown, and client keepalive.
package integration

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// TestThousandWatchStreamsEndUnavailableOnSIGTERM opens 1,000 Health.Watch
// streams on one connection, waits until every one has seen SERVING, sends
// SIGTERM, and expects every stream to end with UNAVAILABLE (seeing at most
// NOT_SERVING before that) and the process to exit 0.
func TestThousandWatchStreamsEndUnavailableOnSIGTERM(t *testing.T) {
	const n = 1000
	s := startServer(t)
	conn := dial(t, s.addr)
	client := healthpb.NewHealthClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), scaled(90*time.Second))
	defer cancel()

	type result struct {
		code     codes.Code
		msg      string
		statuses []healthpb.HealthCheckResponse_ServingStatus
	}
	results := make([]result, n)
	firstStatus := make([]healthpb.HealthCheckResponse_ServingStatus, n)
	gotFirst := make([]bool, n)
	var serving sync.WaitGroup
	var ended sync.WaitGroup
	serving.Add(n)
	ended.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer ended.Done()
			first := true
			markServing := func() {
				if first {
					first = false
					serving.Done()
				}
			}
			defer markServing() // never leave the WaitGroup hanging
			stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
			if err != nil {
				results[i] = result{code: status.Code(err), msg: err.Error()}
				return
			}
			for {
				resp, err := stream.Recv()
				if err != nil {
					results[i].code = status.Code(err)
					results[i].msg = err.Error()
					return
				}
				results[i].statuses = append(results[i].statuses, resp.GetStatus())
				if first {
					firstStatus[i], gotFirst[i] = resp.GetStatus(), true
				}
				markServing()
			}
		}(i)
	}

	waitGroup(t, &serving, scaled(60*time.Second), "all streams to receive their first status")
	for i := range results {
		if !gotFirst[i] {
			t.Fatalf("stream %d ended before its first status: %v %q", i, results[i].code, results[i].msg)
		}
		if firstStatus[i] != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("stream %d: first status %v, want SERVING", i, firstStatus[i])
		}
	}

	start := time.Now()
	if err := s.signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitGroup(t, &ended, scaled(30*time.Second), "all streams to end after SIGTERM")

	bad := 0
	for i, r := range results {
		ok := r.code == codes.Unavailable
		for _, st := range r.statuses[1:] {
			if st != healthpb.HealthCheckResponse_NOT_SERVING {
				ok = false
			}
		}
		if !ok {
			bad++
			if bad <= 5 {
				t.Errorf("stream %d: statuses %v, ended with %v %q (want Unavailable)",
					i, r.statuses, r.code, r.msg)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d streams did not end as expected", bad, n)
	}

	code, err := s.wait(scaled(15 * time.Second))
	if err != nil {
		t.Fatalf("process after SIGTERM: %v; log:\n%s", err, s.log())
	}
	if code != 0 {
		t.Fatalf("exit code %d after SIGTERM; log:\n%s", code, s.log())
	}
	t.Logf("1000 streams ended and the process exited in %v", time.Since(start).Round(time.Millisecond))
}

// TestKeepaliveClientIsNotKicked holds a Watch with grpc-go's keepalive
// client parameters (Time 10s, PermitWithoutStream) and checks that the
// connection was not closed by the server (no GOAWAY too_many_pings).
func TestKeepaliveClientIsNotKicked(t *testing.T) {
	s := startServer(t)
	// SETTLED_TEST_KEEPALIVE_HOLD (e.g. "25s") holds long enough for real
	// client pings; the default keeps the suite fast.
	hold := 3 * time.Second
	if v := os.Getenv("SETTLED_TEST_KEEPALIVE_HOLD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SETTLED_TEST_KEEPALIVE_HOLD=%q: %v", v, err)
		}
		hold = d
	}
	conn := dial(t, s.addr, grpc.WithKeepaliveParams(keepalive.ClientParameters{
		Time:                10 * time.Second,
		Timeout:             5 * time.Second,
		PermitWithoutStream: true,
	}))
	client := healthpb.NewHealthClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), hold)
	defer cancel()
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("first Recv: %v", err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first status %v", resp.GetStatus())
	}
	// The stream must stay open until our own deadline ends it.
	_, err = stream.Recv()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("Watch ended with %v (want DeadlineExceeded at %v): the connection was kicked?", err, hold)
	}
	if st := conn.GetState(); st != connectivity.Ready && st != connectivity.Idle {
		t.Fatalf("connection state after hold: %v", st)
	}
	// The same connection still works.
	cctx, ccancel := context.WithTimeout(context.Background(), scaled(5*time.Second))
	defer ccancel()
	r, err := client.Check(cctx, &healthpb.HealthCheckRequest{Service: "settled.v1.Executor"})
	if err != nil {
		t.Fatalf("Check after hold: %v", err)
	}
	if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Check after hold: %v", r.GetStatus())
	}
	if st := conn.GetState(); st != connectivity.Ready {
		t.Fatalf("connection state after Check: %v (reconnected?)", st)
	}
}

// TestUnknownServiceWatchStaysOpen: SERVICE_UNKNOWN, then the stream stays
// open until the client's deadline.
func TestUnknownServiceWatchStaysOpen(t *testing.T) {
	s := startServer(t)
	conn := dial(t, s.addr)
	client := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
		t.Fatalf("status %v, want SERVICE_UNKNOWN", resp.GetStatus())
	}
	if _, err := stream.Recv(); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("stream ended with %v, want DeadlineExceeded", err)
	}
}

func waitGroup(t *testing.T, wg *sync.WaitGroup, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}
