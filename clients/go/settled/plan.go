package settled

import (
	"encoding/json"
	"fmt"
	"os"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/settled-dev/settled/clients/go/settledv1"
)

// LoadPlan reads a plan file in protobuf's JSON form: either an
// ExecutePlanRequest ({"plan": {...}, "config": {...}}, like
// examples/plan.json) or a bare RebalancePlan, which is returned wrapped in a
// request with default settings. Unknown fields are errors.
func LoadPlan(path string) (*settledv1.ExecutePlanRequest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("settled: load plan: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("settled: load plan %s: %w", path, err)
	}
	req := &settledv1.ExecutePlanRequest{}
	if _, ok := top["plan"]; ok {
		err = protojson.Unmarshal(data, req)
	} else {
		req.Plan = &settledv1.RebalancePlan{}
		err = protojson.Unmarshal(data, req.Plan)
	}
	if err != nil {
		return nil, fmt.Errorf("settled: load plan %s: %w", path, err)
	}
	if req.GetPlan().GetPlanId() == "" {
		return nil, fmt.Errorf("settled: load plan %s: no plan_id", path)
	}
	return req, nil
}
