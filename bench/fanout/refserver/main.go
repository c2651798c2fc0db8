// Command refserver is the comparison peer of the event fan-out benchmark:
// settled.v1.Executor/SubscribeEvents in Go with grpc-go, with settled's
// semantics, fed by a synthetic event source.
//
// Events. A generator goroutine makes events at -rate events/s, shaped like
// the events of settled executing a plan of -items BUY market orders
// (ExecutionStarted, BulkSettlementCompleted, ExecutionPhaseCompleted SELL,
// K OrderSubmitted, per item OrderUpdated new and filled, ExecutionPhaseCompleted
// BUY, TradeExecuted: 3K+5 events). Like settled's engine it gives each event
// its timestamp when it makes it, appends the events of one engine step to
// the SQLite journal in one transaction (WAL, synchronous=FULL; the same
// events table as settled, and meta.last_seq updated per event), and only
// after the commit publishes them, in sequence order, to the live
// subscribers. Steps: [Started] [Bulk, Phase SELL] [K Submitted] then one
// step per OrderUpdated, then [Phase BUY, TradeExecuted], as settled groups
// them for market orders.
//
// Subscribers. Each SubscribeEvents stream has a bounded queue (-stream-queue
// events); the publisher never waits: a subscriber whose queue is full is
// ended with RESOURCE_EXHAUSTED ("subscriber too slow: resume after sequence
// N"). The start oneof: only_new (the default) starts after the last
// published sequence, after_sequence N replays from the journal after N,
// from_oldest from the first retained event; a subscription reads the
// journal from its cursor until it is caught up and then joins the live hub
// under the hub's lock, which refuses the join if something was published
// meanwhile (then it reads again): no gap and no duplicate at the switch.
// Filters event_types, plan_id and correlation_id as in settled.
//
// Each event is encoded once; every subscriber is sent the same bytes.
//
// Flags: -listen, -ready-file (host:port written once serving), -data-dir,
// -rate, -items, -stream-queue. SIGTERM or SIGINT stops it.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/settled-dev/settled/clients/go/settledv1"
	"github.com/settled-dev/settled/bench/fanout/internal/rawcodec"
)

const (
	maxTypes      = 32
	catchupBatch  = 256
	schemaVersion = "1.0.0"
)

var symbols = []string{"AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "JPM", "V",
	"MA", "UNH", "JNJ", "WMT", "PG", "HD", "XOM", "CVX", "KO", "PEP", "COST", "ABBV", "MRK", "ORCL",
	"CSCO", "INTC", "AMD", "NFLX", "DIS", "BAC"}

// ---------------------------------------------------------------- journal

type journal struct {
	w *sql.DB // the one writer connection
	r *sql.DB // readers (WAL: they do not block the writer)

	ins, meta *sql.Stmt
	last      uint64
}

type row struct {
	seq                     uint64
	planID, corr, typ, body string // body as string to share one allocation
}

func openJournal(dir string) (*journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "journal.db")
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate"
	w, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if _, err := w.Exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE IF NOT EXISTS events (
 seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL,
 plan_id TEXT NOT NULL, step_key TEXT, type TEXT NOT NULL,
 correlation_id TEXT NOT NULL, ts_ns INTEGER NOT NULL,
 body BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS events_step ON events (plan_id, step_key) WHERE step_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_plan ON events (plan_id, seq);`); err != nil {
		return nil, err
	}
	var mode string
	if err := w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		return nil, fmt.Errorf("journal_mode %q (%v)", mode, err)
	}
	var syncMode int
	if err := w.QueryRow("PRAGMA synchronous").Scan(&syncMode); err != nil || syncMode != 2 {
		return nil, fmt.Errorf("synchronous %d (%v), want 2 (FULL)", syncMode, err)
	}
	j := &journal{w: w}
	var last sql.NullInt64
	if err := w.QueryRow("SELECT max(seq) FROM events").Scan(&last); err != nil {
		return nil, err
	}
	j.last = uint64(last.Int64)
	if j.ins, err = w.Prepare(`INSERT INTO events (seq, event_id, plan_id, step_key, type, correlation_id, ts_ns, body)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`); err != nil {
		return nil, err
	}
	if j.meta, err = w.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?1)"); err != nil {
		return nil, err
	}
	r, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	j.r = r
	return j, nil
}

// append gives the events their sequence numbers, encodes them and commits
// them in one transaction; it returns the committed rows with their bodies.
func (j *journal) append(evs []*pb.Event, stepKeys []string) ([]*row, error) {
	tx, err := j.w.Begin()
	if err != nil {
		return nil, err
	}
	rows := make([]*row, 0, len(evs))
	seq := j.last
	for i, ev := range evs {
		seq++
		ev.Sequence = seq
		b, err := proto.Marshal(ev)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		ts := ev.Timestamp.AsTime().UnixNano()
		if _, err := tx.Stmt(j.ins).Exec(int64(seq), ev.EventId, ev.PlanId, stepKeys[i], ev.EventType,
			ev.CorrelationId, ts, b); err != nil {
			tx.Rollback()
			return nil, err
		}
		if _, err := tx.Stmt(j.meta).Exec(int64(seq)); err != nil {
			tx.Rollback()
			return nil, err
		}
		rows = append(rows, &row{seq: seq, planID: ev.PlanId, corr: ev.CorrelationId, typ: ev.EventType, body: string(b)})
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	j.last = seq
	return rows, nil
}

// read returns up to limit events after seq, oldest first.
func (j *journal) read(ctx context.Context, after uint64, limit int) ([]*row, error) {
	rs, err := j.r.QueryContext(ctx, "SELECT seq, plan_id, correlation_id, type, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
		int64(after), limit)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*row
	for rs.Next() {
		r := &row{}
		var seq int64
		var body []byte
		if err := rs.Scan(&seq, &r.planID, &r.corr, &r.typ, &body); err != nil {
			return nil, err
		}
		r.seq = uint64(seq)
		r.body = string(body)
		out = append(out, r)
	}
	return out, rs.Err()
}

// ---------------------------------------------------------------- hub

type sub struct {
	types  map[string]bool
	planID string
	corr   string
	q      chan *row     // bounded; the publisher never waits on it
	kill   chan struct{} // closed when the publisher drops a too-slow sub
	cursor uint64        // every event <= cursor was sent or skipped
}

func (s *sub) matches(r *row) bool {
	if s.planID != "" && s.planID != r.planID {
		return false
	}
	if s.corr != "" && s.corr != r.corr {
		return false
	}
	return len(s.types) == 0 || s.types[r.typ]
}

type hub struct {
	mu      sync.Mutex
	last    uint64
	members map[*sub]struct{}
}

func (h *hub) lastSeq() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// publish hands committed rows to every live subscriber, in order.
func (h *hub) publish(rows []*row) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range rows {
		if r.seq > h.last {
			h.last = r.seq
		}
		for s := range h.members {
			if r.seq <= s.cursor || !s.matches(r) {
				continue
			}
			select {
			case s.q <- r:
			default:
				close(s.kill)
				delete(h.members, s)
			}
		}
	}
}

// join adds s if nothing was published after its cursor.
func (h *hub) join(s *sub) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last > s.cursor {
		return false
	}
	h.members[s] = struct{}{}
	return true
}

func (h *hub) leave(s *sub) {
	h.mu.Lock()
	delete(h.members, s)
	h.mu.Unlock()
}

// ---------------------------------------------------------------- service

type server struct {
	pb.UnimplementedExecutorServer
	j     *journal
	h     *hub
	queue int
}

func (sv *server) SubscribeEvents(req *pb.SubscribeEventsRequest, stream grpc.ServerStreamingServer[pb.Event]) error {
	if len(req.EventTypes) > maxTypes {
		return status.Errorf(codes.InvalidArgument, "event_types: more than %d types", maxTypes)
	}
	s := &sub{planID: req.PlanId, corr: req.CorrelationId,
		q: make(chan *row, sv.queue), kill: make(chan struct{})}
	for i, t := range req.EventTypes {
		if len(t) == 0 || len(t) >= 64 {
			return status.Errorf(codes.InvalidArgument,
				"event_types[%d]: must be a payload message name such as \"BulkSettlementCompleted\"", i)
		}
		if s.types == nil {
			s.types = map[string]bool{}
		}
		s.types[t] = true
	}
	if len(req.PlanId) > 64 || len(req.CorrelationId) > 128 {
		return status.Error(codes.InvalidArgument, "plan_id or correlation_id: too long")
	}
	switch st := req.Start.(type) {
	case *pb.SubscribeEventsRequest_AfterSequence:
		s.cursor = st.AfterSequence // nothing is pruned here: never OUT_OF_RANGE
	case *pb.SubscribeEventsRequest_FromOldest:
		s.cursor = 0
	default:
		s.cursor = sv.h.lastSeq()
	}
	ctx := stream.Context()
	var lastSent uint64
	send := func(r *row) error {
		if err := stream.SendMsg(&rawcodec.Frame{B: []byte(r.body)}); err != nil {
			return err
		}
		lastSent = r.seq
		return nil
	}
	// readMore sends what the journal holds after the cursor; it reports
	// whether anything was read.
	readMore := func() (bool, error) {
		rows, err := sv.j.read(ctx, s.cursor, catchupBatch)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, status.Error(codes.Internal, "cannot read the journal")
		}
		for _, r := range rows {
			if s.matches(r) {
				if err := send(r); err != nil {
					return false, err
				}
			}
			s.cursor = r.seq
		}
		return len(rows) > 0, nil
	}
	// Catch up from the journal, then join the hub with no gap: events are
	// committed before they are published, so once the journal holds nothing
	// after the cursor, nothing up to the hub's last sequence is missing.
	for {
		more, err := readMore()
		if err != nil {
			return err
		}
		if more {
			continue
		}
		target := sv.h.lastSeq()
		if more, err = readMore(); err != nil {
			return err
		} else if more {
			continue
		}
		if target > s.cursor {
			s.cursor = target
		}
		if sv.h.join(s) {
			break
		}
	}
	defer sv.h.leave(s)
	for {
		select {
		case r := <-s.q:
			if err := send(r); err != nil {
				return err
			}
		case <-s.kill:
			// As settled: what is still queued is dropped; the client resumes
			// with after_sequence.
			return status.Errorf(codes.ResourceExhausted, "subscriber too slow: resume after sequence %d", lastSent)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ---------------------------------------------------------------- generator

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

type step struct {
	evs  []*pb.Event
	keys []string
}

// planSteps makes the steps of one synthetic plan of k BUY market orders.
func planSteps(n int, k int) []func() step {
	planID := fmt.Sprintf("ref-%d-%d", time.Now().UnixNano(), n)
	corr := planID
	ev := func(source, key string, set func(*pb.Event)) (*pb.Event, string) {
		e := &pb.Event{EventId: uuid4(), CorrelationId: corr, CausationId: planID, SourceModule: source,
			Timestamp: timestamppb.Now(), PlanId: planID, SchemaVersion: schemaVersion}
		set(e)
		return e, key
	}
	type order struct{ sym, id, coid, qty, price string }
	orders := make([]order, k)
	for i := range orders {
		sym := symbols[(n+i)%len(symbols)]
		orders[i] = order{sym: sym, id: uuid4(),
			coid: fmt.Sprintf("st-%s-%s-b-0", planID[len(planID)-8:], sym), qty: "0.512345678", price: "195.18"}
	}
	one := func(e *pb.Event, key string) step { return step{[]*pb.Event{e}, []string{key}} }
	var steps []func() step
	steps = append(steps, func() step {
		syms := make([]string, k)
		for i := range orders {
			syms[i] = orders[i].sym
		}
		return one(ev("exec.engine", "started", func(e *pb.Event) {
			e.EventType = "ExecutionStarted"
			e.Payload = &pb.Event_ExecutionStarted{ExecutionStarted: &pb.ExecutionStarted{
				ItemCount: int32(k), BuyCount: int32(k), MaxDriftTolerance: "0.05", Symbols: syms,
				ExecutionUrgency: pb.ExecutionUrgency(1)}}
		}))
	})
	steps = append(steps, func() step {
		a, ka := ev("exec.settlement", "bulk_settlement", func(e *pb.Event) {
			e.EventType = "BulkSettlementCompleted"
			e.Payload = &pb.Event_BulkSettlementCompleted{BulkSettlementCompleted: &pb.BulkSettlementCompleted{
				TotalBuyingPowerReleased: "0.00", ExecutionPlanId: planID, FailedSellValue: "0.00", ElapsedSeconds: "0.000"}}
		})
		b, kb := ev("exec.engine", "phase:SELL", func(e *pb.Event) {
			e.EventType = "ExecutionPhaseCompleted"
			e.Payload = &pb.Event_ExecutionPhaseCompleted{ExecutionPhaseCompleted: &pb.ExecutionPhaseCompleted{
				PhaseType: pb.PhaseType_PHASE_TYPE_SELL_PHASE, PlanId: planID,
				PhaseMetadata: map[string]string{"orders": "0", "elapsed_seconds": "0.000"}}}
		})
		return step{[]*pb.Event{a, b}, []string{ka, kb}}
	})
	steps = append(steps, func() step {
		var st step
		for _, o := range orders {
			e, key := ev("exec.order", "submit:"+o.coid, func(e *pb.Event) {
				e.EventType = "OrderSubmitted"
				e.Payload = &pb.Event_OrderSubmitted{OrderSubmitted: &pb.OrderSubmitted{
					OrderId: o.id, ClientOrderId: o.coid, Symbol: o.sym, Side: pb.TradeAction_TRADE_ACTION_BUY,
					OrderType: pb.OrderType_ORDER_TYPE_MARKET, Quantity: o.qty}}
			})
			st.evs = append(st.evs, e)
			st.keys = append(st.keys, key)
		}
		return st
	})
	for _, o := range orders {
		for _, filled := range []bool{false, true} {
			steps = append(steps, func() step {
				stat, key := pb.OrderStatus_ORDER_STATUS_NEW, "update:new:"+o.coid
				u := &pb.OrderUpdated{OrderId: o.id, ClientOrderId: o.coid, Symbol: o.sym,
					Side: pb.TradeAction_TRADE_ACTION_BUY, FilledQty: "0"}
				if filled {
					stat, key = pb.OrderStatus_ORDER_STATUS_FILLED, "update:filled:"+o.coid
					u.FilledQty, u.FilledAvgPrice, u.FillQty, u.FillPrice = o.qty, o.price, o.qty, o.price
				}
				u.Status = stat
				return one(ev("exec.order", key, func(e *pb.Event) {
					e.EventType = "OrderUpdated"
					e.Payload = &pb.Event_OrderUpdated{OrderUpdated: u}
				}))
			})
		}
	}
	steps = append(steps, func() step {
		ids := make([]string, k)
		sums := make([]*pb.OrderResultSummary, k)
		for i, o := range orders {
			ids[i] = o.id
			sums[i] = &pb.OrderResultSummary{Symbol: o.sym, Action: pb.TradeAction_TRADE_ACTION_BUY,
				Shares: o.qty, Price: o.price, FilledValue: "100.00", Status: pb.OrderStatus_ORDER_STATUS_FILLED, Success: true}
		}
		a, ka := ev("exec.engine", "phase:BUY", func(e *pb.Event) {
			e.EventType = "ExecutionPhaseCompleted"
			e.Payload = &pb.Event_ExecutionPhaseCompleted{ExecutionPhaseCompleted: &pb.ExecutionPhaseCompleted{
				PhaseType: pb.PhaseType_PHASE_TYPE_BUY_PHASE, PlanId: planID, CompletedOrders: ids, SuccessfulOrders: ids,
				PhaseMetadata: map[string]string{"orders": strconv.Itoa(k), "elapsed_seconds": "0.012"}}}
		})
		b, kb := ev("exec.engine", "trade_executed", func(e *pb.Event) {
			e.EventType = "TradeExecuted"
			e.Payload = &pb.Event_TradeExecuted{TradeExecuted: &pb.TradeExecuted{
				Success: true, Status: pb.ExecutionStatus_EXECUTION_STATUS_SUCCESS, OrdersPlaced: int32(k),
				OrdersSucceeded: int32(k), TotalTradeValue: strconv.Itoa(100*k) + ".00", Orders: sums}}
		})
		return step{[]*pb.Event{a, b}, []string{ka, kb}}
	})
	return steps
}

// generate runs the event source at rate events/s until ctx ends: each
// step is due when the events made so far fall behind rate x elapsed time.
func generate(ctx context.Context, j *journal, h *hub, rate float64, items int) {
	start := time.Now()
	var made int64
	for n := 0; ; n++ {
		for _, mk := range planSteps(n, items) {
			due := start.Add(time.Duration(float64(made) / rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			} else if ctx.Err() != nil {
				return
			}
			st := mk() // timestamps are taken here, before the commit
			rows, err := j.append(st.evs, st.keys)
			if err != nil {
				log.Printf("refserver: journal append: %v", err)
				return
			}
			h.publish(rows)
			made += int64(len(rows))
		}
	}
}

func main() {
	var (
		listen    = flag.String("listen", "127.0.0.1:0", "address to serve on")
		readyFile = flag.String("ready-file", "", "write the bound host:port here once serving")
		dataDir   = flag.String("data-dir", "./refserver-data", "directory of the SQLite journal")
		rate      = flag.Float64("rate", 300, "events per second to make (0: none)")
		items     = flag.Int("items", 10, "BUY items per synthetic plan (3K+5 events a plan)")
		queue     = flag.Int("stream-queue", 4096, "events queued per stream before a slow reader is cut off")
	)
	flag.Parse()
	if *items < 1 || *items > len(symbols) || *queue < 1 || *rate < 0 {
		log.Fatal("refserver: bad -items, -stream-queue or -rate")
	}
	j, err := openJournal(*dataDir)
	if err != nil {
		log.Fatalf("refserver: journal: %v", err)
	}
	h := &hub{last: j.last, members: map[*sub]struct{}{}}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("refserver: listen: %v", err)
	}
	gs := grpc.NewServer(grpc.ForceServerCodecV2(rawcodec.New()))
	pb.RegisterExecutorServer(gs, &server{j: j, h: h, queue: *queue})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- gs.Serve(lis) }()
	if *readyFile != "" {
		tmp := *readyFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(lis.Addr().String()+"\n"), 0o644); err != nil {
			log.Fatalf("refserver: ready file: %v", err)
		}
		if err := os.Rename(tmp, *readyFile); err != nil {
			log.Fatalf("refserver: ready file: %v", err)
		}
	}
	genDone := make(chan struct{})
	go func() {
		defer close(genDone)
		if *rate > 0 {
			generate(ctx, j, h, *rate, *items)
		}
	}()
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			log.Printf("refserver: serve: %v", err)
		}
	}
	stop()
	<-genDone
	gs.Stop()
	j.w.Close()
	j.r.Close()
}
