package settled

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/settled-dev/settled/clients/go/settledv1"
)

func TestTokenAndUnaryCalls(t *testing.T) {
	fake := &fakeExecutor{}
	fake.list = func(req *settledv1.ListExecutionsRequest) *settledv1.ListExecutionsResponse {
		if req.GetPageToken() == "" {
			return &settledv1.ListExecutionsResponse{
				Executions:    []*settledv1.ExecutionResult{{PlanId: "b"}},
				NextPageToken: "page2",
			}
		}
		return &settledv1.ListExecutionsResponse{Executions: []*settledv1.ExecutionResult{{PlanId: "a"}}}
	}
	c := newHarness(t, fake).dial(t, WithToken("s3cret"))
	ctx := testContext(t)

	if _, err := c.GetExecution(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Bearer s3cret"}; !slices.Equal(fake.authz, want) {
		t.Errorf("authorization = %v, want %v", fake.authz, want)
	}

	res, err := c.ExecutePlan(ctx, &settledv1.RebalancePlan{PlanId: "p1"}, nil, false)
	if err != nil || res.GetPlanId() != "p1" {
		t.Fatalf("ExecutePlan = %v, %v", res, err)
	}
	if _, err := c.ExecutePlan(ctx, &settledv1.RebalancePlan{PlanId: "p2"}, nil, true); err != nil {
		t.Fatal(err)
	}
	if !fake.execReqs[0].GetDetach() || fake.execReqs[1].GetDetach() {
		t.Errorf("detach = %v, %v; want true (no wait), false (wait)",
			fake.execReqs[0].GetDetach(), fake.execReqs[1].GetDetach())
	}

	all, err := c.ListExecutions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range all {
		ids = append(ids, e.GetPlanId())
	}
	if want := []string{"b", "a"}; !slices.Equal(ids, want) {
		t.Errorf("ListExecutions = %v, want %v", ids, want)
	}
}

func TestDialGivesUpWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// Port 1 on loopback refuses connections.
	if c, err := Dial(ctx, "127.0.0.1:1", WithInsecure()); err == nil {
		c.Close()
		t.Fatal("Dial succeeded")
	}
}

func TestLoadPlanExample(t *testing.T) {
	req, err := LoadPlan("../../../examples/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	p := req.GetPlan()
	if p.GetPlanId() != "example-rebalance-001" || p.GetCorrelationId() != "example-workflow-001" {
		t.Errorf("plan ids = %q, %q", p.GetPlanId(), p.GetCorrelationId())
	}
	if n := len(p.GetItems()); n != 5 {
		t.Fatalf("%d items, want 5", n)
	}
	if it := p.GetItems()[0]; it.GetSymbol() != "AAPL" || it.GetAction() != settledv1.TradeAction_TRADE_ACTION_SELL || it.GetTradeAmount() != "-3000.00" {
		t.Errorf("first item = %v", it)
	}
	if p.GetExecutionUrgency() != settledv1.ExecutionUrgency_EXECUTION_URGENCY_NORMAL {
		t.Errorf("urgency = %v", p.GetExecutionUrgency())
	}
	cfg := req.GetConfig()
	if cfg.GetFillWaitSeconds() != "2" || cfg.GetMaxRepegsPerOrder() == nil || cfg.GetMaxRepegsPerOrder().GetValue() != 2 {
		t.Errorf("config = %v", cfg)
	}
	if cfg.GetEnableSmartExecution() != nil {
		t.Errorf("absent wrapper decoded as set: %v", cfg.GetEnableSmartExecution())
	}
}

func TestLoadPlanBarePlanAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	req, err := LoadPlan(write("bare.json", `{"planId": "bare-1", "items": [{"symbol": "SPY", "action": "TRADE_ACTION_BUY", "trade_amount": "10"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.GetPlan().GetPlanId() != "bare-1" || req.GetConfig() != nil || len(req.GetPlan().GetItems()) != 1 {
		t.Errorf("bare plan = %v", req)
	}
	for name, body := range map[string]string{
		"typo.json":   `{"plan": {"plan_id": "x"}, "confg": {}}`,
		"noid.json":   `{"items": []}`,
		"broken.json": `{"plan": `,
	} {
		if _, err := LoadPlan(write(name, body)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want an error naming the file", name, err)
		}
	}
}
