package main

// Checks that the reference server keeps settled's SubscribeEvents contract
// (so that the benchmark compares like with like): the three starts, no gap
// or duplicate at the journal/live switch-over, filters, and a subscriber
// that does not read is ended with RESOURCE_EXHAUSTED. Run with
// `go test ./...` in bench/fanout; not part of the project's test suite.

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/settled-dev/settled/clients/go/settledv1"
	"github.com/settled-dev/settled/bench/fanout/internal/rawcodec"
)

func startRef(t *testing.T, rate float64, queue int) pb.ExecutorClient {
	t.Helper()
	j, err := openJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{last: j.last, members: map[*sub]struct{}{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.ForceServerCodecV2(rawcodec.New()))
	pb.RegisterExecutorServer(gs, &server{j: j, h: h, queue: queue})
	go gs.Serve(lis)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); generate(ctx, j, h, rate, 10) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		<-done
		gs.Stop()
		j.w.Close()
		j.r.Close()
	})
	return pb.NewExecutorClient(conn)
}

func collect(t *testing.T, c pb.ExecutorClient, req *pb.SubscribeEventsRequest, n int) []*pb.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := c.SubscribeEvents(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var out []*pb.Event
	for len(out) < n {
		ev, err := st.Recv()
		if err != nil {
			t.Fatalf("after %d events: %v", len(out), err)
		}
		out = append(out, ev)
	}
	return out
}

func contiguous(t *testing.T, name string, evs []*pb.Event, first uint64) {
	t.Helper()
	if first != 0 && evs[0].Sequence != first {
		t.Errorf("%s: first sequence %d, want %d", name, evs[0].Sequence, first)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Sequence != evs[i-1].Sequence+1 {
			t.Fatalf("%s: sequence %d after %d", name, evs[i].Sequence, evs[i-1].Sequence)
		}
	}
}

func TestStarts(t *testing.T) {
	c := startRef(t, 2000, 4096)
	time.Sleep(300 * time.Millisecond) // some history in the journal

	live := collect(t, c, &pb.SubscribeEventsRequest{Start: &pb.SubscribeEventsRequest_OnlyNew{OnlyNew: true}}, 300)
	contiguous(t, "only_new", live, 0)
	if live[0].Sequence < 100 {
		t.Errorf("only_new started at %d: replayed history", live[0].Sequence)
	}
	// Replays more than the history, so the switch to live is crossed.
	all := collect(t, c, &pb.SubscribeEventsRequest{Start: &pb.SubscribeEventsRequest_AfterSequence{AfterSequence: 0}}, 3000)
	contiguous(t, "after_sequence 0", all, 1)
	mid := collect(t, c, &pb.SubscribeEventsRequest{Start: &pb.SubscribeEventsRequest_AfterSequence{AfterSequence: 57}}, 2000)
	contiguous(t, "after_sequence 57", mid, 58)
	old := collect(t, c, &pb.SubscribeEventsRequest{Start: &pb.SubscribeEventsRequest_FromOldest{FromOldest: true}}, 100)
	contiguous(t, "from_oldest", old, 1)
	if old[0].Timestamp == nil || old[0].EventType != "ExecutionStarted" || old[0].GetExecutionStarted() == nil {
		t.Errorf("first event: %v", old[0])
	}
}

func TestFilters(t *testing.T) {
	c := startRef(t, 2000, 4096)
	evs := collect(t, c, &pb.SubscribeEventsRequest{EventTypes: []string{"TradeExecuted"},
		Start: &pb.SubscribeEventsRequest_FromOldest{FromOldest: true}}, 5)
	for _, ev := range evs {
		if ev.EventType != "TradeExecuted" {
			t.Fatalf("filtered stream got %s", ev.EventType)
		}
	}
	plan := collect(t, c, &pb.SubscribeEventsRequest{PlanId: evs[1].PlanId,
		Start: &pb.SubscribeEventsRequest_FromOldest{FromOldest: true}}, 35)
	for _, ev := range plan {
		if ev.PlanId != evs[1].PlanId {
			t.Fatalf("plan filter: got plan %s", ev.PlanId)
		}
	}
	if plan[34].EventType != "TradeExecuted" {
		t.Errorf("35th event of a 10-item plan is %s", plan[34].EventType)
	}
}

func TestSlowSubscriberIsCut(t *testing.T) {
	c := startRef(t, 5000, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := c.SubscribeEvents(ctx, &pb.SubscribeEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // read nothing: flow control, then the queue fills
	for {
		_, err := st.Recv()
		if err == nil {
			continue
		}
		if status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("got %v, want RESOURCE_EXHAUSTED", err)
		}
		return
	}
}
