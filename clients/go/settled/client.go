// Package settled is a small client for the settled trade execution service.
//
// It wraps the generated settled.v1 stubs (package settledv1) with
// connection options (bearer token, TLS), plain methods for the unary
// Executor RPCs, and event streams that survive disconnects: Watch follows
// one execution to its end and Subscribe follows the server-wide event
// stream, both resuming by themselves without a gap or a duplicate.
package settled

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/settled-dev/settled/clients/go/settledv1"
)

// Option configures Dial or NewClient.
type Option func(*options)

type options struct {
	token      string
	tlsConfig  *tls.Config
	insecure   bool
	dialOpts   []grpc.DialOption
	minBackoff time.Duration
	maxBackoff time.Duration
}

// WithToken sends "authorization: Bearer <token>" with every RPC. The token
// is sent over plaintext connections too (settled's default listener is
// plaintext on loopback).
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithTLS connects over TLS with the given configuration (nil means the
// system roots). It is the default when neither WithTLS nor WithInsecure is
// given.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) { o.tlsConfig, o.insecure = cfg, false }
}

// WithInsecure connects in plaintext, as to settled's default listener on
// 127.0.0.1:50051.
func WithInsecure() Option { return func(o *options) { o.tlsConfig, o.insecure = nil, true } }

// WithDialOptions passes extra grpc.DialOptions to grpc.NewClient (for
// example a custom dialer). They are applied after the options above.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithReconnectBackoff sets the delay before the first reconnect of an event
// stream and the cap it doubles up to; each delay is jittered. Defaults:
// 100ms and 5s.
func WithReconnectBackoff(initial, max time.Duration) Option {
	return func(o *options) { o.minBackoff, o.maxBackoff = initial, max }
}

// Client is a connection to a settled server. It is safe for concurrent use.
type Client struct {
	conn    *grpc.ClientConn // nil when made by NewClient
	exec    settledv1.ExecutorClient
	backoff backoff
}

// Dial connects to target (host:port, or any grpc-go target) and waits until
// the connection is ready or ctx ends. Close the client when done.
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	o := newOptions(opts)
	creds := insecure.NewCredentials()
	if !o.insecure {
		creds = credentials.NewTLS(o.tlsConfig)
	}
	dopts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if o.token != "" {
		dopts = append(dopts, grpc.WithPerRPCCredentials(bearer(o.token)))
	}
	conn, err := grpc.NewClient(target, append(dopts, o.dialOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("settled: dial %s: %w", target, err)
	}
	conn.Connect()
	for {
		s := conn.GetState()
		if s == connectivity.Ready {
			break
		}
		if !conn.WaitForStateChange(ctx, s) {
			conn.Close()
			return nil, fmt.Errorf("settled: connect %s (last state %s): %w", target, s, ctx.Err())
		}
	}
	c := newClient(conn, o)
	c.conn = conn
	return c, nil
}

// NewClient wraps an existing connection; only the reconnect backoff option
// applies (credentials belong to the connection). Closing the client does
// not close conn.
func NewClient(conn grpc.ClientConnInterface, opts ...Option) *Client {
	return newClient(conn, newOptions(opts))
}

func newOptions(opts []Option) *options {
	o := &options{minBackoff: 100 * time.Millisecond, maxBackoff: 5 * time.Second}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

func newClient(conn grpc.ClientConnInterface, o *options) *Client {
	return &Client{
		exec:    settledv1.NewExecutorClient(conn),
		backoff: backoff{min: o.minBackoff, max: o.maxBackoff},
	}
}

// Close closes the connection made by Dial.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// Executor returns the generated Executor stub, for requests the wrapper
// does not cover (such as a dry run).
func (c *Client) Executor() settledv1.ExecutorClient { return c.exec }

// ExecutePlan executes plan with cfg (nil means all defaults). With wait it
// returns the terminal result, within ctx's deadline; without it it returns
// at once with the execution QUEUED or RUNNING. Executing the same plan_id
// again re-attaches to the same execution and never places new orders.
func (c *Client) ExecutePlan(ctx context.Context, plan *settledv1.RebalancePlan, cfg *settledv1.ExecutionConfig, wait bool) (*settledv1.ExecutionResult, error) {
	return c.exec.ExecutePlan(ctx, &settledv1.ExecutePlanRequest{Plan: plan, Config: cfg, Detach: !wait})
}

// GetExecution returns the execution of planID; codes.NotFound when unknown.
func (c *Client) GetExecution(ctx context.Context, planID string) (*settledv1.ExecutionResult, error) {
	return c.exec.GetExecution(ctx, &settledv1.GetExecutionRequest{PlanId: planID})
}

// ListExecutions returns every execution whose status is one of statuses
// (all when none are given), newest first, following the pages.
func (c *Client) ListExecutions(ctx context.Context, statuses ...settledv1.ExecutionStatus) ([]*settledv1.ExecutionResult, error) {
	var all []*settledv1.ExecutionResult
	req := &settledv1.ListExecutionsRequest{PageSize: 1000, Statuses: statuses}
	for {
		resp, err := c.exec.ListExecutions(ctx, req)
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetExecutions()...)
		next := resp.GetNextPageToken()
		if next == "" {
			return all, nil
		}
		if next == req.PageToken {
			return nil, errors.New("settled: ListExecutions: server repeated a page token")
		}
		req.PageToken = next
	}
}

// CancelExecution cancels the open orders of planID's execution and ends it
// CANCELED; reason is recorded.
func (c *Client) CancelExecution(ctx context.Context, planID, reason string) (*settledv1.ExecutionResult, error) {
	return c.exec.CancelExecution(ctx, &settledv1.CancelExecutionRequest{PlanId: planID, Reason: reason})
}

// bearer is a per-RPC credential carrying a bearer token.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }
