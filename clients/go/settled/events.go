package settled

import (
	"context"
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/settled-dev/settled/clients/go/settledv1"
)

// SubscribeOptions selects the events of a Subscribe and where it starts.
type SubscribeOptions struct {
	// Types keeps only events whose payload message name is listed, e.g.
	// "BulkSettlementCompleted"; empty means all.
	Types []string
	// PlanID keeps only the events of one plan; empty means all.
	PlanID string
	// CorrelationID keeps only events with this correlation id.
	CorrelationID string
	// After starts with the events whose sequence is greater than *After
	// (0 means from the first event). Nil starts with new events only,
	// unless FromOldest is set.
	After *uint64
	// FromOldest starts from the oldest retained event when After is nil.
	FromOldest bool
}

// Subscribe follows the server-wide event stream. The sequence yields each
// event once, in order, and ends after yielding a non-nil error: OutOfRange
// when the start is older than the retained history, ctx's error when ctx
// ends, or any other error that retrying cannot fix. Breaking out of the
// loop closes the stream.
//
// The subscription resumes by itself: when the stream fails with
// Unavailable (a lost connection, a server restart) or ResourceExhausted
// (the server cut off a slow reader), or ends early, it reconnects after a
// capped, jittered backoff with after_sequence set to the last sequence it
// yielded, and drops anything at or below it, so nothing is missed or seen
// twice. Before the first event, the position is the sequence the server
// says the stream starts after (the settled-start-after header).
func (c *Client) Subscribe(ctx context.Context, opts SubscribeOptions) iter.Seq2[*settledv1.Event, error] {
	var start uint64
	if opts.After != nil {
		start = *opts.After
	}
	open := func(ctx context.Context, last uint64, havePos bool) (grpc.ServerStreamingClient[settledv1.Event], error) {
		req := &settledv1.SubscribeEventsRequest{
			EventTypes:    opts.Types,
			PlanId:        opts.PlanID,
			CorrelationId: opts.CorrelationID,
		}
		switch {
		case havePos:
			req.Start = &settledv1.SubscribeEventsRequest_AfterSequence{AfterSequence: last}
		case opts.FromOldest:
			req.Start = &settledv1.SubscribeEventsRequest_FromOldest{FromOldest: true}
		default:
			req.Start = &settledv1.SubscribeEventsRequest_OnlyNew{OnlyNew: true}
		}
		return c.exec.SubscribeEvents(ctx, req)
	}
	return c.follow(ctx, start, opts.After != nil, open, false)
}

// Watch follows one execution's events from its start and ends when the
// execution reaches a terminal state (at once, with its whole history, if it
// already has). Like Subscribe it yields each event once and resumes by
// itself after a disconnect; it ends with a non-nil error only on failure.
func (c *Client) Watch(ctx context.Context, planID string) iter.Seq2[*settledv1.Event, error] {
	open := func(ctx context.Context, _ uint64, _ bool) (grpc.ServerStreamingClient[settledv1.Event], error) {
		// WatchExecution always replays from the start; follow drops what
		// was already yielded.
		return c.exec.WatchExecution(ctx, &settledv1.WatchExecutionRequest{PlanId: planID})
	}
	return c.follow(ctx, 0, false, open, true)
}

// opener opens an event stream that resumes after last when havePos is set.
type opener func(ctx context.Context, last uint64, havePos bool) (grpc.ServerStreamingClient[settledv1.Event], error)

// follow yields the events of the streams open returns, reconnecting on
// retryable errors and dropping sequences at or below the last one yielded.
// A stream that ends cleanly ends the sequence when endOnEOF is set and is
// reopened otherwise.
func (c *Client) follow(ctx context.Context, last uint64, havePos bool, open opener, endOnEOF bool) iter.Seq2[*settledv1.Event, error] {
	return func(yield func(*settledv1.Event, error) bool) {
		failures := 0
		for {
			err := func() error {
				sctx, cancel := context.WithCancel(ctx)
				defer cancel() // ends the RPC on every exit, including a break
				stream, err := open(sctx, last, havePos)
				if err != nil {
					return err
				}
				if !havePos {
					// The server says where the stream starts: with it a
					// subscription lost before its first event resumes
					// from there instead of "only new" again.
					if pos, ok := startAfter(stream); ok {
						last, havePos = pos, true
					}
				}
				for {
					ev, err := stream.Recv()
					if err != nil {
						return err
					}
					failures = 0
					if havePos && ev.GetSequence() <= last {
						continue
					}
					last, havePos = ev.GetSequence(), true
					if !yield(ev, nil) {
						return errStop
					}
				}
			}()
			switch {
			case err == errStop:
				return
			case err == io.EOF && endOnEOF:
				return
			case ctx.Err() != nil:
				yield(nil, ctx.Err())
				return
			case err != io.EOF && !retryable(err):
				yield(nil, err)
				return
			}
			failures++
			if !sleep(ctx, c.backoff.delay(failures)) {
				yield(nil, ctx.Err())
				return
			}
		}
	}
}

// startAfter reads the settled-start-after header of a SubscribeEvents
// stream: the sequence the stream starts after.
func startAfter(stream grpc.ServerStreamingClient[settledv1.Event]) (uint64, bool) {
	md, err := stream.Header()
	if err != nil {
		return 0, false
	}
	v := md.Get("settled-start-after")
	if len(v) != 1 {
		return 0, false
	}
	n, err := strconv.ParseUint(v[0], 10, 64)
	return n, err == nil
}

// errStop means the consumer stopped iterating.
var errStop = errors.New("settled: iteration stopped")

// retryable reports whether an event stream that failed with err should be
// reopened: the connection was lost or refused (Unavailable), the server
// cut off a slow reader (ResourceExhausted), or a server shutting down
// canceled a stream that had just opened (Canceled).
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted:
		return true
	case codes.Canceled:
		// The caller's own cancel is caught before (ctx.Err()); this one
		// came from a server going down as the stream opened.
		return true
	}
	return false
}

// backoff computes capped, jittered exponential delays.
type backoff struct{ min, max time.Duration }

// delay returns the wait before reconnect number n (1 for the first): a
// random duration in [d/2, d] where d = min * 2^(n-1), capped at max.
func (b backoff) delay(n int) time.Duration {
	d := b.min
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx ends, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// EventType returns ev's payload message name, e.g. "OrderSubmitted": the
// event_type field, or the name of the payload set when the field is empty.
func EventType(ev *settledv1.Event) string {
	if t := ev.GetEventType(); t != "" {
		return t
	}
	m := ev.ProtoReflect()
	if fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("payload")); fd != nil {
		return string(fd.Message().Name())
	}
	return ""
}
