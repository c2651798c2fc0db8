// Command loadgen is the load client of the event fan-out benchmark.
//
// It opens -subs SubscribeEvents streams (only_new, no filters) over
// ceil(subs / -streams-per-conn) connections, optionally drives settled by
// executing plans (-drive plans), and over a measuring window that starts
// after -warmup and lasts -duration it records, per delivered event, the
// publish-to-receive latency (receive time - Event.timestamp; client and
// server share the machine's clock). At the end it prints one JSON object:
// delivered events/s over all subscribers, the rate the server produced
// (the span of sequence numbers seen in the window), p50/p99/max latency,
// stream errors and sequence gaps, and, with -pid, the server's CPU over the
// window (utime+stime from /proc/PID/stat) and its peak RSS (VmHWM).
//
//	loadgen report A.json B.json ...   prints the side-by-side table
//
// It reports figures only; it never passes or fails a run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/settled-dev/settled/clients/go/settledv1"
	"github.com/settled-dev/settled/bench/fanout/internal/rawcodec"
)

// Symbols of settled's simulated universe.
var symbols = strings.Fields("AAPL MSFT NVDA AMZN GOOGL META TSLA AVGO JPM V MA UNH JNJ WMT PG HD " +
	"XOM CVX KO PEP COST ABBV MRK ORCL CSCO INTC AMD NFLX DIS BAC")

// Result is what one run prints (one JSON object).
type Result struct {
	Label          string         `json:"label"`
	Subs           int            `json:"subs"`
	Conns          int            `json:"conns"`
	WindowS        float64        `json:"window_s"`
	Delivered      int64          `json:"delivered"`
	DeliveredPerS  float64        `json:"delivered_per_s"`
	ProducedPerS   float64        `json:"produced_per_s"`
	FirstSeq       uint64         `json:"first_seq"`
	LastSeq        uint64         `json:"last_seq"`
	P50Ms          float64        `json:"p50_ms"`
	P99Ms          float64        `json:"p99_ms"`
	MaxMs          float64        `json:"max_ms"`
	Gaps           int64          `json:"gaps"`
	StreamErrors   map[string]int `json:"stream_errors"`
	SubsAtStart    int            `json:"subs_at_start"`
	Plans          int64          `json:"plans,omitempty"`
	PlanRate       float64        `json:"plan_rate,omitempty"`
	PlanErrors     int64          `json:"plan_errors,omitempty"`
	PlanErrorFirst string         `json:"plan_error_first,omitempty"`
	CPUMs          float64        `json:"cpu_ms"`
	CPUShare       float64        `json:"cpu_share"`
	PeakRSSKiB     int64          `json:"peak_rss_kib"`
	RSSKiB         int64          `json:"rss_kib"`
	ClientCPUMs    float64        `json:"client_cpu_ms"`
	EventTypes     map[string]int `json:"event_types,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "report" {
		report(os.Args[2:])
		return
	}
	var (
		addr     = flag.String("addr", "127.0.0.1:50051", "server address host:port")
		subs     = flag.Int("subs", 100, "subscriber streams")
		perConn  = flag.Int("streams-per-conn", 100, "most streams on one connection")
		warmup   = flag.Duration("warmup", 3*time.Second, "time before the window opens")
		duration = flag.Duration("duration", 20*time.Second, "measuring window")
		pid      = flag.Int("pid", 0, "server pid for CPU and RSS (0: none)")
		drive    = flag.String("drive", "none", "none (the server makes events) or plans (ExecutePlan on settled)")
		items    = flag.Int("items", 10, "BUY items per plan (-drive plans)")
		planRate = flag.Float64("plan-rate", 3, "plans per second (-drive plans), each sent with detach; 0: closed loop with -inflight")
		inflight = flag.Int("inflight", 2, "with -plan-rate 0: workers each calling ExecutePlan (no detach) and waiting for the result")
		amount   = flag.String("amount", "100", "USD per plan item (-drive plans)")
		label    = flag.String("label", "", "label of this run in the JSON")
		types    = flag.Bool("types", false, "count event types (subscriber 0) into the JSON")
	)
	flag.Parse()
	if *subs < 1 || *perConn < 1 {
		fail("bad -subs or -streams-per-conn")
	}

	nconn := (*subs + *perConn - 1) / *perConn
	conns := make([]*grpc.ClientConn, nconn)
	for i := range conns {
		c, err := grpc.NewClient(*addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawcodec.New())),
			// A fresh connection each, not one shared transport.
			grpc.WithUserAgent(fmt.Sprintf("fanout-loadgen/%d", i)),
			grpc.WithInitialWindowSize(1<<20), grpc.WithInitialConnWindowSize(8<<20))
		if err != nil {
			fail("dial: %v", err)
		}
		c.Connect()
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		windowStart atomic.Int64 // unix ns; 0 = not yet
		windowEnd   atomic.Int64 // unix ns; 0 = not yet
		errMu       sync.Mutex
		streamErrs  = map[string]int{}
		typeMu      sync.Mutex
		typeCount   = map[string]int{}
		started     atomic.Int64
	)
	windowStart.Store(math.MaxInt64)
	windowEnd.Store(math.MaxInt64)

	subsState := make([]*subState, *subs)
	var wg sync.WaitGroup
	for i := 0; i < *subs; i++ {
		st := &subState{}
		subsState[i] = st
		conn := conns[i / *perConn]
		countTypes := *types && i == 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := runSub(ctx, conn, st, &windowStart, &windowEnd, &started, countTypes, &typeMu, typeCount)
			if err != nil && ctx.Err() == nil {
				key := status.Code(err).String()
				errMu.Lock()
				if streamErrs[key] == 0 {
					fmt.Fprintf(os.Stderr, "loadgen: stream: %v\n", err)
				}
				streamErrs[key]++
				errMu.Unlock()
			}
		}()
	}

	// Plan driver for settled.
	var plans, planErrs atomic.Int64
	var planErrFirst atomic.Value
	driveCtx, stopDrive := context.WithCancel(ctx)
	var dwg sync.WaitGroup
	if *drive == "plans" {
		ex := pb.NewExecutorClient(conns[0])
		runID := strconv.FormatInt(time.Now().UnixNano(), 36)
		var n atomic.Int64
		submit := func(detach bool) {
			k := n.Add(1)
			req := makePlan(fmt.Sprintf("fanout-%s-%d", runID, k), int(k), *items, *amount)
			req.Detach = detach
			cctx, ccancel := context.WithTimeout(driveCtx, 60*time.Second)
			_, err := ex.ExecutePlan(cctx, req)
			ccancel()
			if err != nil {
				if driveCtx.Err() != nil {
					return
				}
				if planErrs.Add(1) == 1 {
					planErrFirst.Store(err.Error())
					fmt.Fprintf(os.Stderr, "loadgen: ExecutePlan: %v\n", err)
				}
				time.Sleep(10 * time.Millisecond)
				return
			}
			plans.Add(1)
		}
		if *planRate > 0 {
			// Open loop: one detached ExecutePlan every 1/rate s, whether
			// or not settled keeps up (executions then queue).
			dwg.Add(1)
			go func() {
				defer dwg.Done()
				start := time.Now()
				for i := 0; driveCtx.Err() == nil; i++ {
					due := start.Add(time.Duration(float64(i) / *planRate * float64(time.Second)))
					select {
					case <-time.After(time.Until(due)):
					case <-driveCtx.Done():
						return
					}
					dwg.Add(1)
					go func() { defer dwg.Done(); submit(true) }()
				}
			}()
		} else {
			for w := 0; w < *inflight; w++ {
				dwg.Add(1)
				go func() {
					defer dwg.Done()
					for driveCtx.Err() == nil {
						submit(false)
					}
				}()
			}
		}
	} else if *drive != "none" {
		fail("-drive: none or plans")
	}

	time.Sleep(*warmup)
	subsAtStart := int(started.Load())
	cpu0 := cpuTicks(*pid)
	ccpu0 := cpuTicks(os.Getpid())
	plans0 := plans.Load()
	t0 := time.Now()
	windowStart.Store(t0.UnixNano())
	time.Sleep(*duration)
	t1 := time.Now()
	windowEnd.Store(t1.UnixNano())
	cpu1 := cpuTicks(*pid)
	ccpu1 := cpuTicks(os.Getpid())
	plans1 := plans.Load()
	stopDrive()
	dwg.Wait()
	// Let events published before t1 arrive (they are counted only if
	// received before t1 anyway), then end the streams.
	time.Sleep(200 * time.Millisecond)
	peak, rss := memKiB(*pid)
	cancel()
	wg.Wait()

	window := t1.Sub(t0).Seconds()
	var hist histogram
	var delivered, gaps int64
	var first, last uint64 = math.MaxUint64, 0
	for _, st := range subsState {
		hist.merge(&st.hist)
		delivered += st.delivered
		gaps += st.gaps
		if st.delivered > 0 {
			first = min(first, st.firstSeq)
			last = max(last, st.lastSeq)
		}
	}
	if first == math.MaxUint64 {
		first = 0
	}
	res := Result{
		Label: *label, Subs: *subs, Conns: nconn, WindowS: window,
		Delivered: delivered, DeliveredPerS: float64(delivered) / window,
		FirstSeq: first, LastSeq: last,
		P50Ms: hist.quantile(0.50), P99Ms: hist.quantile(0.99), MaxMs: hist.maxMs(),
		Gaps: gaps, StreamErrors: streamErrs, SubsAtStart: subsAtStart,
		Plans: plans1 - plans0, PlanErrors: planErrs.Load(), PlanRate: *planRate,
		PeakRSSKiB: peak, RSSKiB: rss,
	}
	if last > first {
		res.ProducedPerS = float64(last-first+1) / window
	}
	if s, ok := planErrFirst.Load().(string); ok {
		res.PlanErrorFirst = s
	}
	if *pid > 0 && cpu0 >= 0 && cpu1 >= 0 {
		res.CPUMs = float64(cpu1-cpu0) * 1000 / clkTck
		res.CPUShare = res.CPUMs / 1000 / window
	}
	if ccpu0 >= 0 && ccpu1 >= 0 {
		res.ClientCPUMs = float64(ccpu1-ccpu0) * 1000 / clkTck
	}
	if *types {
		res.EventTypes = typeCount
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

type subState struct {
	hist      histogram
	delivered int64
	gaps      int64
	firstSeq  uint64
	lastSeq   uint64
	prevSeq   uint64
}

func runSub(ctx context.Context, conn *grpc.ClientConn, st *subState, ws, we, started *atomic.Int64,
	countTypes bool, typeMu *sync.Mutex, typeCount map[string]int) error {
	desc := &pb.Executor_ServiceDesc.Streams[0] // SubscribeEvents
	if desc.StreamName != "SubscribeEvents" {
		for i := range pb.Executor_ServiceDesc.Streams {
			if pb.Executor_ServiceDesc.Streams[i].StreamName == "SubscribeEvents" {
				desc = &pb.Executor_ServiceDesc.Streams[i]
			}
		}
	}
	stream, err := conn.NewStream(ctx, desc, pb.Executor_SubscribeEvents_FullMethodName)
	if err != nil {
		return err
	}
	req := &pb.SubscribeEventsRequest{Start: &pb.SubscribeEventsRequest_OnlyNew{OnlyNew: true}}
	if err := stream.SendMsg(req); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	// Headers arrive when the server has taken the call.
	if _, err := stream.Header(); err != nil {
		return err
	}
	started.Add(1)
	var f rawcodec.Frame
	for {
		if err := stream.RecvMsg(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		now := time.Now().UnixNano()
		seq, tsNs, typ := parseEvent(f.B)
		if st.prevSeq != 0 && seq != st.prevSeq+1 {
			st.gaps++
		}
		st.prevSeq = seq
		if now < ws.Load() || now >= we.Load() {
			continue
		}
		if st.delivered == 0 {
			st.firstSeq = seq
		}
		st.lastSeq = seq
		st.delivered++
		st.hist.add(now - tsNs)
		if countTypes {
			typeMu.Lock()
			typeCount[typ]++
			typeMu.Unlock()
		}
	}
}

// parseEvent reads Event.sequence (2), Event.timestamp (6) and
// Event.event_type (8) from the encoded message and skips the rest.
func parseEvent(b []byte) (seq uint64, tsNs int64, typ string) {
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		switch {
		case num == 2 && wt == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return
			}
			seq, b = v, b[m:]
		case num == 6 && wt == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return
			}
			tsNs, b = parseTimestamp(v), b[m:]
		case num == 8 && wt == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return
			}
			typ, b = string(v), b[m:]
		default:
			m := protowire.ConsumeFieldValue(num, wt, b)
			if m < 0 {
				return
			}
			b = b[m:]
		}
	}
	return
}

func parseTimestamp(b []byte) int64 {
	var sec, nanos int64
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		if wt != protowire.VarintType {
			m := protowire.ConsumeFieldValue(num, wt, b)
			if m < 0 {
				break
			}
			b = b[m:]
			continue
		}
		v, m := protowire.ConsumeVarint(b)
		if m < 0 {
			break
		}
		b = b[m:]
		switch num {
		case 1:
			sec = int64(v)
		case 2:
			nanos = int64(v)
		}
	}
	return sec*1e9 + nanos
}

func makePlan(id string, k, items int, amount string) *pb.ExecutePlanRequest {
	if items > len(symbols) {
		items = len(symbols)
	}
	plan := &pb.RebalancePlan{
		PlanId:              id,
		Timestamp:           timestamppb.Now(),
		TotalPortfolioValue: "100000000",
		MaxDriftTolerance:   "0.05",
	}
	amt, _ := strconv.ParseFloat(amount, 64)
	// Rotate the starting symbol so consecutive plans differ.
	for i := 0; i < items; i++ {
		sym := symbols[(k+i)%len(symbols)]
		plan.Items = append(plan.Items, &pb.RebalancePlanItem{
			Symbol: sym, Action: pb.TradeAction_TRADE_ACTION_BUY,
			CurrentWeight: "0", TargetWeight: "0.000001", WeightDiff: "0.000001",
			CurrentValue: "0", TargetValue: amount, TradeAmount: amount,
		})
	}
	plan.TotalTradeValue = strconv.FormatFloat(amt*float64(items), 'f', 2, 64)
	return &pb.ExecutePlanRequest{
		Plan: plan,
		Config: &pb.ExecutionConfig{
			EnableSmartExecution:   wrapperspb.Bool(false),
			MarketOpenDelayMinutes: wrapperspb.Int32(0),
			SellFailureThreshold:   "0",
			CancelOpenOrders:       wrapperspb.Bool(false),
		},
	}
}

// histogram of latencies: 1 us buckets below 1 ms, then buckets 1% wide.
const (
	linBuckets = 1000
	logBuckets = 1200 // 1 ms * 1.01^1200 is far beyond any run
)

type histogram struct {
	b     [linBuckets + logBuckets]int64
	n     int64
	maxNs int64
}

func (h *histogram) add(ns int64) {
	if ns < 0 {
		ns = 0 // clock granularity; not expected on one machine
	}
	us := ns / 1000
	var i int
	if us < linBuckets {
		i = int(us)
	} else {
		i = linBuckets + int(math.Log(float64(us)/linBuckets)/math.Log(1.01))
		if i >= len(h.b) {
			i = len(h.b) - 1
		}
	}
	h.b[i]++
	h.n++
	if ns > h.maxNs {
		h.maxNs = ns
	}
}

func (h *histogram) merge(o *histogram) {
	for i := range h.b {
		h.b[i] += o.b[i]
	}
	h.n += o.n
	h.maxNs = max(h.maxNs, o.maxNs)
}

// quantile in ms (upper edge of the bucket).
func (h *histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	var c int64
	for i, v := range h.b {
		c += v
		if c >= rank {
			if i < linBuckets {
				return float64(i+1) / 1000
			}
			return linBuckets * math.Pow(1.01, float64(i-linBuckets+1)) / 1000
		}
	}
	return h.maxMs()
}

func (h *histogram) maxMs() float64 { return float64(h.maxNs) / 1e6 }

const clkTck = 100 // sysconf(_SC_CLK_TCK) on Linux

// cpuTicks is utime+stime of pid in clock ticks, or -1.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	// After the comm: state is field 3; utime 14 and stime 15.
	if len(f) < 13 {
		return -1
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// memKiB is VmHWM and VmRSS of pid.
func memKiB(pid int) (peak, rss int64) {
	if pid <= 0 {
		return 0, 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			peak = v
		case "VmRSS:":
			rss = v
		}
	}
	return
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", a...)
	os.Exit(2)
}

// report prints settled and reference results side by side with the
// ratios. Arguments: JSON files whose label is "settled N" or "reference N".
func report(files []string) {
	type pair struct{ s, r *Result }
	byN := map[int]*pair{}
	var order []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fail("report: %v", err)
		}
		var r Result
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
			fail("report: %s: %v", f, err)
		}
		p := byN[r.Subs]
		if p == nil {
			p = &pair{}
			byN[r.Subs] = p
			order = append(order, r.Subs)
		}
		if strings.HasPrefix(r.Label, "settled") {
			p.s = &r
		} else {
			p.r = &r
		}
	}
	ratio := func(a, b float64) string {
		if b == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2fx", a/b)
	}
	errs := func(r *Result) string {
		if len(r.StreamErrors) == 0 {
			return "0"
		}
		var parts []string
		for k, v := range r.StreamErrors {
			parts = append(parts, fmt.Sprintf("%d %s", v, k))
		}
		return strings.Join(parts, ", ")
	}
	for _, n := range order {
		p := byN[n]
		fmt.Printf("\n%d subscribers\n", n)
		fmt.Printf("  %-34s %14s %14s %10s\n", "", "settled", "reference(Go)", "ratio s/r")
		row := func(name string, f func(*Result) float64, format string) {
			var sv, rv float64
			ss, rs := "-", "-"
			if p.s != nil {
				sv = f(p.s)
				ss = fmt.Sprintf(format, sv)
			}
			if p.r != nil {
				rv = f(p.r)
				rs = fmt.Sprintf(format, rv)
			}
			rt := "-"
			if p.s != nil && p.r != nil {
				rt = ratio(sv, rv)
			}
			fmt.Printf("  %-34s %14s %14s %10s\n", name, ss, rs, rt)
		}
		row("events produced/s (server)", func(r *Result) float64 { return r.ProducedPerS }, "%.0f")
		row("events delivered/s (all subs)", func(r *Result) float64 { return r.DeliveredPerS }, "%.0f")
		row("latency p50 (ms)", func(r *Result) float64 { return r.P50Ms }, "%.3f")
		row("latency p99 (ms)", func(r *Result) float64 { return r.P99Ms }, "%.3f")
		row("latency max (ms)", func(r *Result) float64 { return r.MaxMs }, "%.1f")
		row("server CPU (ms in window)", func(r *Result) float64 { return r.CPUMs }, "%.0f")
		row("server CPU (share of one core)", func(r *Result) float64 { return r.CPUShare }, "%.2f")
		row("server CPU per 1k delivered (ms)", func(r *Result) float64 {
			if r.Delivered == 0 {
				return 0
			}
			return r.CPUMs / float64(r.Delivered) * 1000
		}, "%.2f")
		if base := byN[1]; base != nil && n != 1 {
			row("  above the 1-subscriber run", func(r *Result) float64 {
				b := base.r
				if strings.HasPrefix(r.Label, "settled") {
					b = base.s
				}
				if b == nil {
					return 0
				}
				return r.CPUShare - b.CPUShare
			}, "%.2f")
		}
		row("server peak RSS (MiB)", func(r *Result) float64 { return float64(r.PeakRSSKiB) / 1024 }, "%.1f")
		row("client CPU (ms in window)", func(r *Result) float64 { return r.ClientCPUMs }, "%.0f")
		var se, re string = "-", "-"
		if p.s != nil {
			se = fmt.Sprintf("%s / %d", errs(p.s), p.s.Gaps)
		}
		if p.r != nil {
			re = fmt.Sprintf("%s / %d", errs(p.r), p.r.Gaps)
		}
		fmt.Printf("  %-34s %14s %14s\n", "stream errors / seq gaps", se, re)
		if p.s != nil && p.s.Plans > 0 {
			what := "executed (closed loop)"
			if p.s.PlanRate > 0 {
				what = fmt.Sprintf("submitted (open loop, %.1f/s offered)", p.s.PlanRate)
			}
			fmt.Printf("  settled: %d plans %s in the window, %d plan errors\n", p.s.Plans, what, p.s.PlanErrors)
		}
	}
}
