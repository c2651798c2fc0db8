package settled

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/settled-dev/settled/clients/go/settledv1"
)

// start describes a SubscribeEvents request's start position.
func start(r *settledv1.SubscribeEventsRequest) string {
	switch s := r.GetStart().(type) {
	case *settledv1.SubscribeEventsRequest_OnlyNew:
		return "only_new"
	case *settledv1.SubscribeEventsRequest_FromOldest:
		return "from_oldest"
	case *settledv1.SubscribeEventsRequest_AfterSequence:
		return fmt.Sprintf("after=%d", s.AfterSequence)
	}
	return "unset"
}

func starts(reqs []*settledv1.SubscribeEventsRequest) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, start(r))
	}
	return out
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The stream is cut with Unavailable, with ResourceExhausted and by a server
// restart, and the server repeats sequences on each resume: the subscriber
// sees every sequence exactly once and resumes after the last one it saw.
func TestSubscribeResumesWithoutGapOrDuplicate(t *testing.T) {
	fake := &fakeExecutor{}
	fake.subscribe = func(n int, _ *settledv1.SubscribeEventsRequest, s eventStream) error {
		switch n {
		case 0:
			send(s, 1, 2, 3)
			return status.Error(codes.Unavailable, "connection dropped")
		case 1:
			send(s, 2, 3, 4, 5)
			return status.Error(codes.ResourceExhausted, "subscriber too slow; resume after sequence 5")
		case 2:
			send(s, 5, 6) // the test restarts the server on 6
			<-s.Context().Done()
			return s.Context().Err()
		default:
			send(s, 4, 6, 7, 8, 9, 10)
			<-s.Context().Done()
			return nil
		}
	}
	h := newHarness(t, fake)
	c := h.dial(t)

	var got []uint64
	opts := SubscribeOptions{Types: []string{"OrderUpdated"}, PlanID: "p1", CorrelationID: "c1"}
	for ev, err := range c.Subscribe(testContext(t), opts) {
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, ev.GetSequence())
		if ev.GetSequence() == 6 {
			h.restart()
		}
		if ev.GetSequence() == 10 {
			break
		}
	}
	if want := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(got, want) {
		t.Errorf("sequences = %v, want %v", got, want)
	}
	reqs := fake.requests()
	if want := []string{"only_new", "after=3", "after=5", "after=6"}; !slices.Equal(starts(reqs), want) {
		t.Errorf("starts = %v, want %v", starts(reqs), want)
	}
	for _, r := range reqs {
		if !slices.Equal(r.GetEventTypes(), opts.Types) || r.GetPlanId() != "p1" || r.GetCorrelationId() != "c1" {
			t.Errorf("filters not kept on resume: %v", r)
		}
	}
}

func TestSubscribeStartPositions(t *testing.T) {
	after := uint64(5)
	tests := []struct {
		name string
		opts SubscribeOptions
		want []string
	}{
		{"only new", SubscribeOptions{}, []string{"only_new", "only_new", "after=7"}},
		{"from oldest", SubscribeOptions{FromOldest: true}, []string{"from_oldest", "from_oldest", "after=7"}},
		{"after", SubscribeOptions{After: &after, FromOldest: true}, []string{"after=5", "after=5", "after=7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeExecutor{}
			fake.subscribe = func(n int, _ *settledv1.SubscribeEventsRequest, s eventStream) error {
				switch n {
				case 0: // cut before any event: no position yet
					return status.Error(codes.Unavailable, "restarting")
				case 1:
					send(s, 5, 7) // 5 is at or below After and dropped when After is 5
					return nil    // a clean end of a subscription is resumed too
				default:
					send(s, 7, 8)
					<-s.Context().Done()
					return nil
				}
			}
			c := newHarness(t, fake).dial(t)
			var got []uint64
			for ev, err := range c.Subscribe(testContext(t), tt.opts) {
				if err != nil {
					t.Fatal(err)
				}
				if got = append(got, ev.GetSequence()); ev.GetSequence() == 8 {
					break
				}
			}
			want := []uint64{5, 7, 8}
			if tt.opts.After != nil {
				want = []uint64{7, 8}
			}
			if !slices.Equal(got, want) {
				t.Errorf("sequences = %v, want %v", got, want)
			}
			if s := starts(fake.requests()); !slices.Equal(s, tt.want) {
				t.Errorf("starts = %v, want %v", s, tt.want)
			}
		})
	}
}

func TestSubscribeOutOfRangeEnds(t *testing.T) {
	fake := &fakeExecutor{}
	fake.subscribe = func(int, *settledv1.SubscribeEventsRequest, eventStream) error {
		return status.Error(codes.OutOfRange, "after_sequence 3 is older than the oldest retained event 100")
	}
	c := newHarness(t, fake).dial(t)
	after := uint64(3)
	var errs []error
	for ev, err := range c.Subscribe(testContext(t), SubscribeOptions{After: &after}) {
		if ev != nil {
			t.Errorf("unexpected event %v", ev)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || status.Code(errs[0]) != codes.OutOfRange {
		t.Fatalf("errors = %v, want one OutOfRange", errs)
	}
	if s := starts(fake.requests()); !slices.Equal(s, []string{"after=3"}) {
		t.Errorf("starts = %v, want one after=3 (no retry)", s)
	}
}

func TestSubscribeOtherErrorsAreNotRetried(t *testing.T) {
	fake := &fakeExecutor{}
	fake.subscribe = func(int, *settledv1.SubscribeEventsRequest, eventStream) error {
		return status.Error(codes.Unauthenticated, "missing token")
	}
	c := newHarness(t, fake).dial(t)
	for _, err := range c.Subscribe(testContext(t), SubscribeOptions{}) {
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("err = %v, want Unauthenticated", err)
		}
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// Cancelling the context ends a live stream with the context's error, and
// the server sees the call end.
func TestSubscribeContextCancelStopsStream(t *testing.T) {
	ended := make(chan struct{})
	fake := &fakeExecutor{}
	fake.subscribe = func(_ int, _ *settledv1.SubscribeEventsRequest, s eventStream) error {
		defer close(ended)
		send(s, 1)
		<-s.Context().Done()
		return nil
	}
	c := newHarness(t, fake).dial(t)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var last error
	for ev, err := range c.Subscribe(ctx, SubscribeOptions{}) {
		if ev != nil {
			cancel()
		}
		last = err
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("last error = %v, want context.Canceled", last)
	}
	waitClosed(t, ended, "server stream after cancel")
}

// Cancelling during the reconnect backoff ends at once.
func TestSubscribeContextCancelDuringBackoff(t *testing.T) {
	fake := &fakeExecutor{}
	fake.subscribe = func(int, *settledv1.SubscribeEventsRequest, eventStream) error {
		return status.Error(codes.Unavailable, "down")
	}
	c := newHarness(t, fake).dial(t, WithReconnectBackoff(time.Hour, time.Hour))
	ctx, cancel := context.WithCancel(testContext(t))
	time.AfterFunc(50*time.Millisecond, cancel)
	begin := time.Now()
	for _, err := range c.Subscribe(ctx, SubscribeOptions{}) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
}

// Breaking out of the loop closes the server's stream.
func TestSubscribeBreakClosesStream(t *testing.T) {
	ended := make(chan struct{})
	fake := &fakeExecutor{}
	fake.subscribe = func(_ int, _ *settledv1.SubscribeEventsRequest, s eventStream) error {
		defer close(ended)
		send(s, 1, 2)
		<-s.Context().Done()
		return nil
	}
	c := newHarness(t, fake).dial(t)
	for range c.Subscribe(testContext(t), SubscribeOptions{}) {
		break
	}
	waitClosed(t, ended, "server stream after break")
}

// Watch replays from the start after a disconnect; the client drops what it
// already yielded, and the sequence ends with the stream.
func TestWatchResumesAndEnds(t *testing.T) {
	fake := &fakeExecutor{}
	fake.watch = func(n int, req *settledv1.WatchExecutionRequest, s eventStream) error {
		if req.GetPlanId() != "p1" {
			return status.Error(codes.NotFound, req.GetPlanId())
		}
		if n == 0 {
			send(s, 1, 2, 3)
			return status.Error(codes.Unavailable, "dropped")
		}
		send(s, 1, 2, 3, 4, 5)
		return nil
	}
	c := newHarness(t, fake).dial(t)
	var got []uint64
	for ev, err := range c.Watch(testContext(t), "p1") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.GetSequence())
	}
	if want := []uint64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("sequences = %v, want %v", got, want)
	}
	for _, err := range c.Watch(testContext(t), "nope") {
		if status.Code(err) != codes.NotFound {
			t.Errorf("err = %v, want NotFound", err)
		}
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	for n := 1; n <= 20; n++ {
		want := min(b.min<<(n-1), b.max)
		if n > 10 {
			want = b.max
		}
		for range 20 {
			if d := b.delay(n); d < want/2 || d > want {
				t.Fatalf("delay(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}

func TestEventType(t *testing.T) {
	ev := &settledv1.Event{Payload: &settledv1.Event_TradeExecuted{TradeExecuted: &settledv1.TradeExecuted{}}}
	if got := EventType(ev); got != "TradeExecuted" {
		t.Errorf("EventType = %q", got)
	}
	ev.EventType = "Other"
	if got := EventType(ev); got != "Other" {
		t.Errorf("EventType = %q", got)
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Errorf("%s: not ended", what)
	}
}
