package settled

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"github.com/settled-dev/settled/clients/go/settledv1"
)

// eventStream is the server side of an event stream.
type eventStream = grpc.ServerStreamingServer[settledv1.Event]

// fakeExecutor is a scripted in-process Executor. Each streaming call runs
// the script with its call number (from 0) and records its request.
type fakeExecutor struct {
	settledv1.UnimplementedExecutorServer

	subscribe func(n int, req *settledv1.SubscribeEventsRequest, s eventStream) error
	watch     func(n int, req *settledv1.WatchExecutionRequest, s eventStream) error
	list      func(req *settledv1.ListExecutionsRequest) *settledv1.ListExecutionsResponse

	mu       sync.Mutex
	subReqs  []*settledv1.SubscribeEventsRequest
	watchN   int
	execReqs []*settledv1.ExecutePlanRequest
	authz    []string
}

func (f *fakeExecutor) SubscribeEvents(req *settledv1.SubscribeEventsRequest, s eventStream) error {
	f.mu.Lock()
	n := len(f.subReqs)
	f.subReqs = append(f.subReqs, req)
	f.mu.Unlock()
	return f.subscribe(n, req, s)
}

func (f *fakeExecutor) WatchExecution(req *settledv1.WatchExecutionRequest, s eventStream) error {
	f.mu.Lock()
	n := f.watchN
	f.watchN++
	f.mu.Unlock()
	return f.watch(n, req, s)
}

func (f *fakeExecutor) ExecutePlan(ctx context.Context, req *settledv1.ExecutePlanRequest) (*settledv1.ExecutionResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.execReqs = append(f.execReqs, req)
	return &settledv1.ExecutionResult{PlanId: req.GetPlan().GetPlanId(), Status: settledv1.ExecutionStatus_EXECUTION_STATUS_RUNNING}, nil
}

func (f *fakeExecutor) GetExecution(ctx context.Context, req *settledv1.GetExecutionRequest) (*settledv1.ExecutionResult, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authz = append(f.authz, md.Get("authorization")...)
	return &settledv1.ExecutionResult{PlanId: req.GetPlanId(), Success: true}, nil
}

func (f *fakeExecutor) ListExecutions(ctx context.Context, req *settledv1.ListExecutionsRequest) (*settledv1.ListExecutionsResponse, error) {
	return f.list(req), nil
}

// requests returns the SubscribeEvents requests received so far.
func (f *fakeExecutor) requests() []*settledv1.SubscribeEventsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*settledv1.SubscribeEventsRequest(nil), f.subReqs...)
}

// harness serves a fakeExecutor over an in-memory listener that can be
// replaced, to simulate a server restart.
type harness struct {
	fake *fakeExecutor
	lis  atomic.Pointer[bufconn.Listener]
	mu   sync.Mutex
	srv  *grpc.Server
}

func newHarness(t *testing.T, fake *fakeExecutor) *harness {
	t.Helper()
	h := &harness{fake: fake}
	h.start()
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.srv.Stop()
	})
	return h
}

func (h *harness) start() {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	settledv1.RegisterExecutorServer(srv, h.fake)
	go srv.Serve(lis)
	h.srv = srv
	h.lis.Store(lis)
}

// restart stops the server, cutting every stream, and starts a new one.
func (h *harness) restart() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.srv.Stop()
	h.start()
}

// dial returns a client of the harness with fast reconnects.
func (h *harness) dial(t *testing.T, opts ...Option) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	base := []Option{
		WithInsecure(),
		WithReconnectBackoff(time.Millisecond, 10*time.Millisecond),
		WithDialOptions(
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
				return h.lis.Load().DialContext(ctx)
			}),
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           grpcbackoff.Config{BaseDelay: 5 * time.Millisecond, Multiplier: 1.6, MaxDelay: 50 * time.Millisecond},
				MinConnectTimeout: time.Second,
			}),
		),
	}
	c, err := Dial(ctx, "passthrough:///bufnet", append(base, opts...)...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// send sends events with the given sequences.
func send(s eventStream, seqs ...uint64) error {
	for _, n := range seqs {
		ev := &settledv1.Event{Sequence: n, PlanId: "p1", EventType: "OrderUpdated",
			Payload: &settledv1.Event_OrderUpdated{OrderUpdated: &settledv1.OrderUpdated{Symbol: "AAPL"}}}
		if err := s.Send(ev); err != nil {
			return err
		}
	}
	return nil
}
