// The Go client wrapper (github.com/settled-dev/settled/clients/go/settled)
// against the real settled binary ($SETTLED_BIN; skipped when unset):
// Dial, ExecutePlan on examples/plan.json, Subscribe from the oldest event,
// Watch, a Subscribe that survives a server restart (SIGTERM, then a new
// process on the same --data-dir and port) with no gap and no duplicate, and
// a context cancel that stops a Subscribe, whether it is waiting for events
// or for a server that is down.
package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/settled-dev/settled/clients/go/settled"
	"github.com/settled-dev/settled/clients/go/settledv1"
)

// scScaled scales a deadline by SETTLED_TEST_TIMEOUT_MULTIPLIER.
func scScaled(d time.Duration) time.Duration {
	if v := os.Getenv("SETTLED_TEST_TIMEOUT_MULTIPLIER"); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			return time.Duration(float64(d) * f)
		}
	}
	return d
}

// scProc is one settled process on a given data dir.
type scProc struct {
	cmd     *exec.Cmd
	addr    string
	logPath string
	done    chan struct{}
}

// scStart starts $SETTLED_BIN on listen with dataDir and waits until it is
// ready; the process is stopped (SIGTERM, then SIGKILL) at cleanup.
func scStart(t *testing.T, dir, dataDir, listen string, extra ...string) *scProc {
	t.Helper()
	bin := os.Getenv("SETTLED_BIN")
	if bin == "" {
		t.Skip("SETTLED_BIN is not set: build //server:settled and export SETTLED_BIN")
	}
	ready := filepath.Join(dir, fmt.Sprintf("ready-%d", time.Now().UnixNano()))
	logPath := ready + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	args := append([]string{"--listen", listen, "--ready-file", ready, "--data-dir", dataDir,
		"--shutdown-timeout", "2"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SETTLED_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	p := &scProc{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(scScaled(15 * time.Second))
	for {
		if b, err := os.ReadFile(ready); err == nil && strings.HasSuffix(string(b), "\n") {
			p.addr = strings.TrimSpace(string(b))
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("settled exited before it was ready:\n%s", p.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("settled not ready in time:\n%s", p.log())
		}
	}
}

func (p *scProc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// stop sends SIGTERM and waits for the exit (SIGKILL after a deadline).
func (p *scProc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(scScaled(10 * time.Second)):
		t.Errorf("settled did not exit on SIGTERM in time; killing it")
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func scDial(t *testing.T, addr string) *settled.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scScaled(10*time.Second))
	defer cancel()
	c, err := settled.Dial(ctx, addr, settled.WithInsecure())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// scCollect runs a Subscribe in a goroutine; events and the final error
// arrive on the channels.
type scCollect struct {
	events chan *settledv1.Event
	err    chan error
}

func scFollow(ctx context.Context, c *settled.Client, opts settled.SubscribeOptions) *scCollect {
	col := &scCollect{events: make(chan *settledv1.Event, 100000), err: make(chan error, 1)}
	go func() {
		for ev, err := range c.Subscribe(ctx, opts) {
			if err != nil {
				col.err <- err
				return
			}
			col.events <- ev
		}
		col.err <- nil
	}()
	return col
}

// until reads events until done(ev) is true, failing at the deadline.
func (col *scCollect) until(t *testing.T, got *[]*settledv1.Event, d time.Duration,
	what string, done func(*settledv1.Event) bool) {
	t.Helper()
	timer := time.NewTimer(scScaled(d))
	defer timer.Stop()
	for {
		select {
		case ev := <-col.events:
			*got = append(*got, ev)
			if done(ev) {
				return
			}
		case err := <-col.err:
			t.Fatalf("subscription ended (%v) before %s; got %d events", err, what, len(*got))
		case <-timer.C:
			t.Fatalf("timed out waiting for %s; got %d events", what, len(*got))
		}
	}
}

func scSeqs(evs []*settledv1.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.GetSequence()
	}
	return out
}

// scContiguous fails unless evs have the sequences first..last, each once.
func scContiguous(t *testing.T, evs []*settledv1.Event, first, last uint64, what string) {
	t.Helper()
	seqs := scSeqs(evs)
	if uint64(len(seqs)) != last-first+1 {
		t.Fatalf("%s: want sequences %d..%d, got %v", what, first, last, seqs)
	}
	for i, s := range seqs {
		if s != first+uint64(i) {
			t.Fatalf("%s: want sequences %d..%d, got %v", what, first, last, seqs)
		}
	}
}

func scPlan(id string) (*settledv1.RebalancePlan, *settledv1.ExecutionConfig) {
	item := func(sym string, action settledv1.TradeAction, amount string) *settledv1.RebalancePlanItem {
		return &settledv1.RebalancePlanItem{Symbol: sym, Action: action, TradeAmount: amount,
			CurrentWeight: "0.10", TargetWeight: "0.09"}
	}
	plan := &settledv1.RebalancePlan{
		PlanId: id, CorrelationId: "corr-" + id, CausationId: "go-test",
		Items: []*settledv1.RebalancePlanItem{
			item("AAPL", settledv1.TradeAction_TRADE_ACTION_SELL, "-200"),
			item("NVDA", settledv1.TradeAction_TRADE_ACTION_SELL, "-200"),
			item("JPM", settledv1.TradeAction_TRADE_ACTION_BUY, "150"),
			item("GOOGL", settledv1.TradeAction_TRADE_ACTION_BUY, "150"),
		},
		TotalPortfolioValue: "79400.00", TotalTradeValue: "700.00", MaxDriftTolerance: "0.05",
	}
	cfg := &settledv1.ExecutionConfig{EnableSmartExecution: wrapperspb.Bool(false),
		MarketOpenDelayMinutes: wrapperspb.Int32(0)}
	return plan, cfg
}

func TestGoClientExecutePlanSubscribeAndWatch(t *testing.T) {
	dir := t.TempDir()
	srv := scStart(t, dir, filepath.Join(dir, "data"), "127.0.0.1:0",
		"--sim-partial-fill-share", "0")
	c := scDial(t, srv.addr)

	req, err := settled.LoadPlan(filepath.Join("..", "..", "examples", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	planID := req.GetPlan().GetPlanId()
	ctx, cancel := context.WithTimeout(context.Background(), scScaled(120*time.Second))
	defer cancel()
	res, err := c.ExecutePlan(ctx, req.GetPlan(), req.GetConfig(), true)
	if err != nil {
		t.Fatalf("ExecutePlan: %v", err)
	}
	if res.GetStatus() != settledv1.ExecutionStatus_EXECUTION_STATUS_SUCCESS || !res.GetSuccess() {
		t.Fatalf("ExecutePlan: status %v (%s)", res.GetStatus(), res.GetFailureReason())
	}
	last := res.GetLastSequence()

	// Subscribe from the oldest event: ExecutionStarted .. TradeExecuted, in order.
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	col := scFollow(sctx, c, settled.SubscribeOptions{FromOldest: true})
	var got []*settledv1.Event
	col.until(t, &got, 30*time.Second, "TradeExecuted", func(ev *settledv1.Event) bool {
		return settled.EventType(ev) == "TradeExecuted"
	})
	scContiguous(t, got, 1, last, "from the oldest")
	var types []string
	for _, ev := range got {
		if ev.GetPlanId() != planID {
			t.Fatalf("event %d of plan %q", ev.GetSequence(), ev.GetPlanId())
		}
		types = append(types, settled.EventType(ev))
	}
	order := []string{"ExecutionStarted", "OrderSubmitted", "BulkSettlementCompleted",
		"ExecutionPhaseCompleted", "OrderSubmitted", "ExecutionPhaseCompleted", "TradeExecuted"}
	i := 0
	for _, typ := range types {
		if i < len(order) && typ == order[i] {
			i++
		}
	}
	if i != len(order) || types[0] != "ExecutionStarted" || types[len(types)-1] != "TradeExecuted" {
		t.Fatalf("events out of order: %v", types)
	}
	var phases []settledv1.PhaseType
	for _, ev := range got {
		if p := ev.GetExecutionPhaseCompleted(); p != nil {
			phases = append(phases, p.GetPhaseType())
		}
	}
	if len(phases) != 2 || phases[0] != settledv1.PhaseType_PHASE_TYPE_SELL_PHASE ||
		phases[1] != settledv1.PhaseType_PHASE_TYPE_BUY_PHASE {
		t.Fatalf("phases: %v", phases)
	}
	scancel()
	select {
	case err := <-col.err:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("after cancel: %v", err)
		}
	case <-time.After(scScaled(5 * time.Second)):
		t.Fatal("Subscribe did not stop after its context was cancelled")
	}

	// Watch ends by itself with the same events.
	var watched []*settledv1.Event
	for ev, err := range c.Watch(ctx, planID) {
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		watched = append(watched, ev)
	}
	if len(watched) != len(got) {
		t.Fatalf("Watch: %d events, Subscribe: %d", len(watched), len(got))
	}
	for i := range watched {
		if watched[i].GetEventId() != got[i].GetEventId() {
			t.Fatalf("Watch event %d: %s != %s", i, watched[i].GetEventId(), got[i].GetEventId())
		}
	}

	// Idempotent, and errors keep their codes.
	again, err := c.ExecutePlan(ctx, req.GetPlan(), req.GetConfig(), true)
	if err != nil || again.GetLastSequence() != last {
		t.Fatalf("ExecutePlan again: %v, last %d (want %d)", err, again.GetLastSequence(), last)
	}
	if _, err := c.GetExecution(ctx, "no-such-plan"); status.Code(err) != codes.NotFound {
		t.Fatalf("GetExecution(unknown): %v", err)
	}
	for _, err := range c.Watch(ctx, "no-such-plan") {
		if status.Code(err) != codes.NotFound {
			t.Fatalf("Watch(unknown): %v", err)
		}
	}
}

func TestGoClientSubscribeSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	args := []string{"--sim-fill-latency-ms", "300", "--sim-partial-fill-share", "0"}
	srv := scStart(t, dir, data, "127.0.0.1:0", args...)
	addr := srv.addr
	c := scDial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), scScaled(120*time.Second))
	defer cancel()

	zero := uint64(0)
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	col := scFollow(sctx, c, settled.SubscribeOptions{After: &zero})

	plan1, cfg := scPlan("go-restart-1")
	if _, err := c.ExecutePlan(ctx, plan1, cfg, true); err != nil {
		t.Fatalf("ExecutePlan 1: %v", err)
	}
	plan2, cfg := scPlan("go-restart-2")
	if _, err := c.ExecutePlan(ctx, plan2, cfg, false); err != nil {
		t.Fatalf("ExecutePlan 2 (detached): %v", err)
	}
	var got []*settledv1.Event
	col.until(t, &got, 30*time.Second, "an order of plan 2", func(ev *settledv1.Event) bool {
		return ev.GetPlanId() == "go-restart-2" && settled.EventType(ev) == "OrderSubmitted"
	})
	// SIGTERM while plan 2 runs, then a new process on the same data dir and port.
	srv.stop(t)
	if _, port, err := net.SplitHostPort(addr); err != nil {
		t.Fatal(err)
	} else {
		srv2 := scStart(t, dir, data, "127.0.0.1:"+port, args...)
		if srv2.addr != addr {
			t.Fatalf("restarted on %s, not %s", srv2.addr, addr)
		}
	}
	col.until(t, &got, 60*time.Second, "plan 2's TradeExecuted", func(ev *settledv1.Event) bool {
		return ev.GetPlanId() == "go-restart-2" && settled.EventType(ev) == "TradeExecuted"
	})
	res2, err := c.GetExecution(ctx, "go-restart-2")
	if err != nil {
		t.Fatalf("GetExecution: %v", err)
	}
	scContiguous(t, got, 1, res2.GetLastSequence(), "across the restart")

	// The same events, with the same ids, as a fresh subscription from the oldest.
	fctx, fcancel := context.WithCancel(ctx)
	fresh := scFollow(fctx, c, settled.SubscribeOptions{FromOldest: true})
	var all []*settledv1.Event
	fresh.until(t, &all, 30*time.Second, "the last event", func(ev *settledv1.Event) bool {
		return ev.GetSequence() >= res2.GetLastSequence()
	})
	fcancel()
	for i := range all {
		if all[i].GetEventId() != got[i].GetEventId() {
			t.Fatalf("event %d: %s after the restart, %s from the journal",
				all[i].GetSequence(), got[i].GetEventId(), all[i].GetEventId())
		}
	}

	// And it is still following.
	select {
	case err := <-col.err:
		t.Fatalf("subscription ended early: %v", err)
	default:
	}
}

func TestGoClientContextCancelStopsSubscribe(t *testing.T) {
	dir := t.TempDir()
	srv := scStart(t, dir, filepath.Join(dir, "data"), "127.0.0.1:0")
	c := scDial(t, srv.addr)

	// Waiting for new events that never come.
	ctx, cancel := context.WithCancel(context.Background())
	col := scFollow(ctx, c, settled.SubscribeOptions{Types: []string{"TradeExecuted"}})
	start := time.Now()
	cancel()
	select {
	case err := <-col.err:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case ev := <-col.events:
		t.Fatalf("unexpected event %v", ev)
	case <-time.After(scScaled(5 * time.Second)):
		t.Fatal("Subscribe did not stop after cancel")
	}
	if d := time.Since(start); d > scScaled(2*time.Second) {
		t.Fatalf("cancel took %v", d)
	}

	// Retrying against a server that is gone.
	srv.stop(t)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	col2 := scFollow(ctx2, c, settled.SubscribeOptions{FromOldest: true})
	time.Sleep(300 * time.Millisecond) // a few failed attempts, now between reconnects
	select {
	case err := <-col2.err:
		t.Fatalf("Subscribe gave up while the server was down: %v", err)
	default:
	}
	cancel2()
	select {
	case err := <-col2.err:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(scScaled(5 * time.Second)):
		t.Fatal("Subscribe did not stop after cancel while the server was down")
	}

	// A deadline ends it the same way.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel3()
	for _, err := range c.Subscribe(ctx3, settled.SubscribeOptions{}) {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
	}
}
