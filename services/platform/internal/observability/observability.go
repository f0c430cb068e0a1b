// Package observability reads what deploy/observability ships (the Prometheus alert rules and
// the Grafana dashboard) with Prometheus' own parsers, so tests can hold every expression to the
// metric families the platform really exports. Only tests import it: the Prometheus module it
// needs is large, and no binary links it.
package observability

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// Files under deploy/observability.
const (
	RulesFile     = "alerts.yaml"
	DashboardFile = "dashboard.json"
)

// Expression is one PromQL expression shipped in a rule or a dashboard panel.
type Expression struct {
	// Where names it for error messages: "alerts.yaml: SupercompDLQGrowing" or
	// "dashboard.json: Consumer lag (undelivered messages) A".
	Where string
	Expr  string
}

var promql = parser.NewParser(parser.Options{})

// LoadRules parses dir's alert rules the way Prometheus loads a rule file: unknown fields,
// bad durations, bad PromQL and bad annotation templates are all errors.
func LoadRules(dir string) (*rulefmt.RuleGroups, error) {
	groups, errs := rulefmt.ParseFile(filepath.Join(dir, RulesFile), false, model.UTF8Validation, promql, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return groups, nil
}

// Expressions returns every rule's and every dashboard query's expression.
func Expressions(dir string) ([]Expression, error) {
	groups, err := LoadRules(dir)
	if err != nil {
		return nil, err
	}
	var out []Expression
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			name := r.Alert
			if name == "" {
				name = r.Record
			}
			out = append(out, Expression{Where: RulesFile + ": " + name, Expr: r.Expr})
		}
	}
	queries, err := dashboardQueries(filepath.Join(dir, DashboardFile))
	if err != nil {
		return nil, err
	}
	return append(out, queries...), nil
}

// dashboard is the part of a Grafana dashboard model that holds queries.
type dashboard struct {
	Panels []panel `json:"panels"`
}

type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"` // a collapsed row holds its panels
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// grafanaVariables are the dashboard's interval variables, replaced by a duration before
// parsing: Grafana substitutes them before the query reaches Prometheus.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

func dashboardQueries(path string) ([]Expression, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Expression
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				out = append(out, Expression{Where: DashboardFile + ": " + p.Title + " " + t.RefID, Expr: grafanaVariables.Replace(t.Expr)})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no queries", path)
	}
	return out, nil
}

// MetricNames parses expr and returns the metric names its selectors name, sorted. A selector
// without a metric name (matching on labels only) is an error: such a query cannot be checked,
// and it would read every family.
func MetricNames(expr string) ([]string, error) {
	parsed, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, matchers := range parser.ExtractSelectors(parsed) {
		name := ""
		for _, m := range matchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			return nil, fmt.Errorf("a selector without a metric name: %v", matchers)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// FamilyOf is the family a series name belongs to: a histogram's _bucket, _sum and _count series
// (and a summary's _sum and _count) belong to the histogram's family, when families has it.
func FamilyOf(series string, families map[string]bool) (string, bool) {
	if families[series] {
		return series, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suffix); ok && families[base] {
			return base, true
		}
	}
	return "", false
}
