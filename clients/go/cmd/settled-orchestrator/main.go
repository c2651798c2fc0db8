// Command settled-orchestrator submits a rebalance plan to settled, prints
// the execution's events as they happen and then its final result. It exits
// 1 when the execution did not succeed (or on any error), 0 otherwise.
//
//	settled-orchestrator -target 127.0.0.1:50051 -plan examples/plan.json
//
// With -detach it only submits the plan and prints the accepted execution;
// running it again with the same plan re-attaches without placing new orders.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/settled-dev/settled/clients/go/settled"
	"github.com/settled-dev/settled/clients/go/settledv1"
)

func main() { os.Exit(run()) }

func run() int {
	target := flag.String("target", "127.0.0.1:50051", "settled gRPC address")
	token := flag.String("token", os.Getenv("SETTLED_TOKEN"), "bearer token (default $SETTLED_TOKEN)")
	planPath := flag.String("plan", "examples/plan.json", "plan file: protobuf JSON of an ExecutePlanRequest or a RebalancePlan")
	detach := flag.Bool("detach", false, "submit the plan and exit without following it")
	useTLS := flag.Bool("tls", false, "connect over TLS (system roots) instead of plaintext")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	req, err := settled.LoadPlan(*planPath)
	if err != nil {
		return fail(err)
	}
	opts := []settled.Option{settled.WithInsecure()}
	if *useTLS {
		opts[0] = settled.WithTLS(nil)
	}
	if *token != "" {
		opts = append(opts, settled.WithToken(*token))
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	client, err := settled.Dial(dctx, *target, opts...)
	cancel()
	if err != nil {
		return fail(err)
	}
	defer client.Close()

	planID := req.GetPlan().GetPlanId()
	if req.GetDryRun() {
		res, err := client.Executor().ExecutePlan(ctx, req)
		if err != nil {
			return fail(err)
		}
		return report(res)
	}
	// Submit detached, then watch: WatchExecution replays the execution from
	// its start, so no event is missed however quickly it runs.
	res, err := client.ExecutePlan(ctx, req.GetPlan(), req.GetConfig(), false)
	if err != nil {
		return fail(err)
	}
	fmt.Printf("submitted plan %s: %s\n", planID, shortStatus(res.GetStatus()))
	if *detach {
		if terminal(res.GetStatus()) {
			return report(res)
		}
		return 0
	}
	for ev, err := range client.Watch(ctx, planID) {
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(os.Stderr, "settled-orchestrator: stopped watching; plan %s keeps running on the server\n", planID)
			}
			return fail(err)
		}
		fmt.Printf("%6d  %-24s %s\n", ev.GetSequence(), settled.EventType(ev), summary(ev))
	}
	res, err = client.GetExecution(ctx, planID)
	if err != nil {
		return fail(err)
	}
	return report(res)
}

// report prints the result and returns the exit code.
func report(res *settledv1.ExecutionResult) int {
	fmt.Printf("result: %s  placed=%d succeeded=%d skipped=%d failed=%d value=$%s\n",
		shortStatus(res.GetStatus()), res.GetOrdersPlaced(), res.GetOrdersSucceeded(),
		res.GetOrdersSkipped(), res.GetOrdersFailed(), res.GetTotalTradeValue())
	if r := res.GetFailureReason(); r != "" {
		fmt.Printf("  reason: %s\n", r)
	}
	for _, o := range res.GetOrders() {
		note := o.GetErrorMessage()
		if o.GetSkipped() {
			note = "skipped: " + o.GetSkipReason()
		}
		fmt.Printf("  %-4s %-6s shares=%s price=%s value=%s ok=%t %s\n",
			trim(o.GetAction().String(), "TRADE_ACTION_"), o.GetSymbol(), o.GetShares(),
			o.GetPrice(), o.GetFilledValue(), o.GetSuccess(), note)
	}
	if !res.GetSuccess() {
		return 1
	}
	return 0
}

// summary describes an event's payload in one line.
func summary(ev *settledv1.Event) string {
	switch p := ev.GetPayload().(type) {
	case *settledv1.Event_ExecutionQueued:
		return "waiting for " + p.ExecutionQueued.GetWaitingForPlanId()
	case *settledv1.Event_ExecutionStarted:
		e := p.ExecutionStarted
		return fmt.Sprintf("%d items: %d sell, %d buy, %d hold; resumed=%t",
			e.GetItemCount(), e.GetSellCount(), e.GetBuyCount(), e.GetHoldCount(), e.GetResumed())
	case *settledv1.Event_OrderSubmitted:
		e := p.OrderSubmitted
		return fmt.Sprintf("%s %s %s qty=%s limit=%s attempt=%d", side(e.GetSide()), e.GetSymbol(),
			trim(e.GetOrderType().String(), "ORDER_TYPE_"), e.GetQuantity(), e.GetLimitPrice(), e.GetAttempt())
	case *settledv1.Event_OrderUpdated:
		e := p.OrderUpdated
		return fmt.Sprintf("%s %s %s filled=%s avg=%s %s", side(e.GetSide()), e.GetSymbol(),
			trim(e.GetStatus().String(), "ORDER_STATUS_"), e.GetFilledQty(), e.GetFilledAvgPrice(), e.GetReason())
	case *settledv1.Event_OrderRepegged:
		e := p.OrderRepegged
		return fmt.Sprintf("%s %s %s -> %s remaining=%s (%s)", side(e.GetSide()), e.GetSymbol(),
			e.GetOldPrice(), e.GetNewPrice(), e.GetRemainingQuantity(), e.GetReason())
	case *settledv1.Event_OrderEscalated:
		e := p.OrderEscalated
		return fmt.Sprintf("%s %s to market remaining=%s (%s)", side(e.GetSide()), e.GetSymbol(),
			e.GetRemainingQuantity(), e.GetReason())
	case *settledv1.Event_OrderSkipped:
		e := p.OrderSkipped
		return fmt.Sprintf("%s %s $%s: %s", side(e.GetSide()), e.GetSymbol(), e.GetTradeAmount(), e.GetReason())
	case *settledv1.Event_OrderSettlementCompleted:
		e := p.OrderSettlementCompleted
		return fmt.Sprintf("%s qty=%s @ %s released=$%s", e.GetSymbol(), e.GetSettledQuantity(),
			e.GetSettlementPrice(), e.GetBuyingPowerReleased())
	case *settledv1.Event_BulkSettlementCompleted:
		e := p.BulkSettlementCompleted
		return fmt.Sprintf("%d orders released=$%s failed=$%s timed_out=%t in %ss", len(e.GetSettledOrderIds()),
			e.GetTotalBuyingPowerReleased(), e.GetFailedSellValue(), e.GetTimedOut(), e.GetElapsedSeconds())
	case *settledv1.Event_BuyOrdersAdjusted:
		e := p.BuyOrdersAdjusted
		return fmt.Sprintf("scale=%s available=$%s requested=$%s (%s)", e.GetScale(),
			e.GetBuyingPowerAvailable(), e.GetBuyingPowerRequested(), e.GetReason())
	case *settledv1.Event_ExecutionPhaseCompleted:
		e := p.ExecutionPhaseCompleted
		return fmt.Sprintf("%s completed=%d ok=%d failed=%d", trim(e.GetPhaseType().String(), "PHASE_TYPE_"),
			len(e.GetCompletedOrders()), len(e.GetSuccessfulOrders()), len(e.GetFailedOrders()))
	case *settledv1.Event_ExecutionNotice:
		e := p.ExecutionNotice
		return fmt.Sprintf("[%s] %s %s %s", e.GetLevel(), e.GetCode(), e.GetSymbol(), e.GetMessage())
	case *settledv1.Event_TradeExecuted:
		e := p.TradeExecuted
		return fmt.Sprintf("%s placed=%d succeeded=%d skipped=%d value=$%s %s", shortStatus(e.GetStatus()),
			e.GetOrdersPlaced(), e.GetOrdersSucceeded(), e.GetOrdersSkipped(), e.GetTotalTradeValue(), e.GetFailureReason())
	}
	return ""
}

func terminal(s settledv1.ExecutionStatus) bool {
	return s != settledv1.ExecutionStatus_EXECUTION_STATUS_QUEUED &&
		s != settledv1.ExecutionStatus_EXECUTION_STATUS_RUNNING &&
		s != settledv1.ExecutionStatus_EXECUTION_STATUS_UNSPECIFIED
}

func shortStatus(s settledv1.ExecutionStatus) string { return trim(s.String(), "EXECUTION_STATUS_") }
func side(a settledv1.TradeAction) string            { return trim(a.String(), "TRADE_ACTION_") }
func trim(s, prefix string) string                   { return strings.TrimPrefix(s, prefix) }

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "settled-orchestrator:", err)
	return 1
}
