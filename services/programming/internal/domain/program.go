package domain

import (
	"fmt"
	"math"
)

// Exercise is one prescribed exercise of a program session.
type Exercise struct {
	Name string
	// Lift is the wire's lift category, carried through untouched: the rules do not need it.
	Lift int32
	Dose
	Notes string
}

// Session is one session of a program week.
type Session struct {
	// Day is the preferred weekday, 1 Monday ... 7 Sunday; 0 takes the next training day.
	Day       int
	Name      string
	Exercises []Exercise
}

// Week is one week of a program.
type Week struct {
	Number int
	Label  string
	// Deload is true when the program itself reduces this week (e.g. week 4 of a 3+1 block).
	Deload   bool
	Sessions []Session
}

// TemplateLift is one lift a template programs.
type TemplateLift struct {
	Exercise     string
	Lift         int32
	Sets, Reps   int
	StartPercent float64
}

// TemplateOptions parameterise a template; zero values take the template's defaults.
type TemplateOptions struct {
	Weeks                  int
	Lifts                  []TemplateLift
	SessionsPerWeek        int
	WeeklyIncrementPercent float64
}

// Template is a built-in program generator.
type Template struct {
	ID, Name, Description string
	DefaultWeeks          int
	IncludesDeloadWeeks   bool
	generate              func(o TemplateOptions) []Week
}

// Template ids.
const (
	TemplateLinear       = "linear_progression"
	TemplateAccumulation = "accumulation_3_1"
)

// Templates are the built-in templates, in display order.
func Templates() []Template {
	return []Template{
		{
			ID: TemplateLinear, Name: "Linear progression", DefaultWeeks: 8,
			Description: "Same sets x reps every session; load +2.5% of training max per week (configurable) " +
				"and target RPE +0.5 per week from 7, capped at 9. For novices and early intermediates.",
			generate: linearWeeks,
		},
		{
			ID: TemplateAccumulation, Name: "3-week accumulation + deload", DefaultWeeks: 8, IncludesDeloadWeeks: true,
			Description: "Blocks of 4 weeks: 3 accumulation weeks adding a set and 2.5% (configurable) each week " +
				"at RPE 7, 7.5, 8, then a deload week derived from week 3 (60% load, half the sets, 2/3 of the reps, RPE <= 7). " +
				"Each block starts one step above the last.",
			generate: accumulationWeeks,
		},
	}
}

// TemplateByID finds a built-in template.
func TemplateByID(id string) (Template, bool) {
	for _, t := range Templates() {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

// Generate validates o and builds the template's weeks.
func (t Template) Generate(o TemplateOptions) ([]Week, []Violation) {
	if o.Weeks == 0 {
		o.Weeks = t.DefaultWeeks
	}
	if o.SessionsPerWeek == 0 {
		o.SessionsPerWeek = 3
	}
	if o.WeeklyIncrementPercent == 0 {
		o.WeeklyIncrementPercent = 2.5
	}
	var v []Violation
	bad := func(field, format string, args ...any) {
		v = append(v, Violation{Field: "template_options." + field, Description: fmt.Sprintf(format, args...)})
	}
	if o.Weeks < 1 || o.Weeks > 52 {
		bad("weeks", "must be between 1 and 52, got %d", o.Weeks)
	}
	if o.SessionsPerWeek < 1 || o.SessionsPerWeek > 7 {
		bad("sessions_per_week", "must be between 1 and 7, got %d", o.SessionsPerWeek)
	}
	if o.WeeklyIncrementPercent < 0 || o.WeeklyIncrementPercent > 10 {
		bad("weekly_increment_percent", "must be between 0 and 10, got %v", o.WeeklyIncrementPercent)
	}
	if len(o.Lifts) == 0 {
		bad("lifts", "at least one lift is required")
	}
	for i, l := range o.Lifts {
		f := func(name string) string { return fmt.Sprintf("lifts[%d].%s", i, name) }
		if l.Exercise == "" {
			bad(f("exercise"), "is required")
		}
		if l.Sets < 1 || l.Sets > 20 {
			bad(f("sets"), "must be between 1 and 20, got %d", l.Sets)
		}
		if l.Reps < 1 || l.Reps > 30 {
			bad(f("reps"), "must be between 1 and 30, got %d", l.Reps)
		}
		if l.StartPercent < 30 || l.StartPercent > 100 {
			bad(f("start_percent_1rm"), "must be between 30 and 100, got %v", l.StartPercent)
		}
	}
	if len(v) > 0 {
		return nil, v
	}
	return t.generate(o), nil
}

// sessionsOf repeats the week's exercises in SessionsPerWeek full-body sessions.
func sessionsOf(o TemplateOptions, exercises func() []Exercise) []Session {
	sessions := make([]Session, o.SessionsPerWeek)
	for i := range sessions {
		sessions[i] = Session{Name: fmt.Sprintf("Session %c", 'A'+i), Exercises: exercises()}
	}
	return sessions
}

func linearWeeks(o TemplateOptions) []Week {
	weeks := make([]Week, o.Weeks)
	for w := range weeks {
		percent := func(l TemplateLift) float64 { return l.StartPercent + o.WeeklyIncrementPercent*float64(w) }
		rpe := math.Min(7+0.5*float64(w), 9)
		weeks[w] = Week{Number: w + 1, Label: fmt.Sprintf("Week %d", w+1), Sessions: sessionsOf(o, func() []Exercise {
			out := make([]Exercise, len(o.Lifts))
			for i, l := range o.Lifts {
				out[i] = Exercise{Name: l.Exercise, Lift: l.Lift, Dose: Dose{
					Sets: l.Sets, Reps: l.Reps, Percent1RM: ptr(math.Min(percent(l), 100)), TargetRPE: ptr(rpe),
				}}
			}
			return out
		})}
	}
	return weeks
}

func accumulationWeeks(o TemplateOptions) []Week {
	weeks := make([]Week, o.Weeks)
	accumulation := func(block, step int) []Exercise {
		out := make([]Exercise, len(o.Lifts))
		for i, l := range o.Lifts {
			out[i] = Exercise{Name: l.Exercise, Lift: l.Lift, Dose: Dose{
				Sets:       l.Sets + step,
				Reps:       l.Reps,
				Percent1RM: ptr(math.Min(l.StartPercent+o.WeeklyIncrementPercent*float64(step+block), 100)),
				TargetRPE:  ptr(7 + 0.5*float64(step)),
			}}
		}
		return out
	}
	for w := range weeks {
		block, step := w/4, w%4
		if step < 3 {
			weeks[w] = Week{Number: w + 1, Label: fmt.Sprintf("Accumulation %d.%d", block+1, step+1),
				Sessions: sessionsOf(o, func() []Exercise { return accumulation(block, step) })}
			continue
		}
		weeks[w] = Week{Number: w + 1, Label: fmt.Sprintf("Deload %d", block+1), Deload: true,
			Sessions: sessionsOf(o, func() []Exercise {
				normal := accumulation(block, 2)
				for i := range normal {
					d := Deload(normal[i].Dose, DefaultDeloadParams())
					normal[i].Dose = d.Dose
				}
				return normal
			})}
	}
	return weeks
}

// LoadOf measures a program's normal (non-deload) weeks for the planned interval: the mean
// working RPE over every set that states an effort (RPE, or 10 - RIR), weighted by sets, and
// the hard sets (RPE >= 7, i.e. RIR <= 3) per week of the most-trained lift, because volume
// thresholds are about a muscle group's weekly sets, not the whole session's.
func LoadOf(weeks []Week) BlockLoad {
	var rpeSum, rpeSets float64
	hard := map[string]float64{}
	normalWeeks := 0
	for _, w := range weeks {
		if w.Deload {
			continue
		}
		normalWeeks++
		for _, s := range w.Sessions {
			for _, e := range s.Exercises {
				rpe, ok := effort(e.Dose)
				if !ok {
					continue
				}
				rpeSum += rpe * float64(e.Sets)
				rpeSets += float64(e.Sets)
				if rpe >= 7 {
					key := e.Name
					if e.Lift != 0 {
						key = fmt.Sprint(e.Lift)
					}
					hard[key] += float64(e.Sets)
				}
			}
		}
	}
	var out BlockLoad
	if rpeSets > 0 {
		out.MeanWorkingRPE = math.Round(rpeSum/rpeSets*100) / 100
	}
	for _, sets := range hard {
		out.HardSetsPerWeek = math.Max(out.HardSetsPerWeek, sets/float64(normalWeeks))
	}
	return out
}

func effort(d Dose) (float64, bool) {
	switch {
	case d.TargetRPE != nil:
		return *d.TargetRPE, true
	case d.TargetRIR != nil:
		return 10 - *d.TargetRIR, true
	}
	return 0, false
}
