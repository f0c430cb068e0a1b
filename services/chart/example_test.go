package chart_test

import (
	"fmt"
	"time"

	"github.com/supercomp/supercomp/services/chart"
)

func Example() {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		panic(err)
	}
	day := func(d int) time.Time { return time.Date(2025, time.March, d, 18, 0, 0, 0, chicago) }
	c := chart.Chart{
		ID:    "e1rm-squat",
		Title: "e1RM, squat",
		Y:     chart.YAxis{Title: "e1RM", Mass: true, Decimals: 1},
		Lines: []chart.Line{{
			Label:      "Squat",
			Points:     []chart.Point{{Time: day(3), Value: 180}, {Time: day(7), Value: 182.5}, {Time: day(17), Value: 177.5}},
			MaxGapDays: 7,
		}},
		Bands:  []chart.Band{{Label: "Baseline ± 1 SD", Low: 175, High: 185}},
		Shades: []chart.Shade{{Kind: chart.ReactiveDeload, From: day(10), To: day(16)}},
	}
	view := chart.View{Location: chicago, Mass: chart.Pounds}

	svg, err := c.SVG(view)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.60s…\n", svg)

	table, err := c.Table(view)
	if err != nil {
		panic(err)
	}
	fmt.Println(table.Caption)
	fmt.Println(table.Columns)
	for _, row := range table.Rows {
		fmt.Println(row)
	}
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" class="sc-chart" wid…
	// e1RM, squat: e1RM (lb), 3–17 Mar 2025. Baseline ± 1 SD: 385.8 lb to 407.9 lb.
	// [Date Squat (lb) Deload]
	// [Mon 3 Mar 2025 396.8 lb ]
	// [Fri 7 Mar 2025 402.3 lb ]
	// [Mon 17 Mar 2025 391.3 lb ]
}
