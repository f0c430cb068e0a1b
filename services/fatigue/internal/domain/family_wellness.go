package domain

import (
	"strings"
)

// wellness evaluates soreness/joint discomfort and motivation/sleep: z-scores of the last
// WindowReports reports (within 14 days) against the BaselineDays before them.
func (s *State) wellness(d Day, th Thresholds) (sore, mot family) {
	wt := th.Wellness
	sore, mot = family{f: famSoreness}, family{f: famMotSleep}
	var window []Day
	for day := d; day > d-14 && len(window) < wt.WindowReports; day-- {
		if s.inRing(day) && s.rec(day).Flags&flagWellness != 0 {
			window = append(window, day)
		}
	}
	zOf := func(value func(Day) (float64, bool)) (zs map[Day]float64, mean, sd float64, ok bool) {
		if len(window) == 0 {
			return nil, 0, 0, false
		}
		start := window[len(window)-1]
		var base []float64
		for day := start - 1; day >= start-Day(wt.BaselineDays); day-- {
			if s.inRing(day) {
				if v, has := value(day); has {
					base = append(base, v)
				}
			}
		}
		if len(base) < minWellnessBaseline {
			return nil, 0, 0, false
		}
		mean, sd = MeanSD(base, true)
		zs = map[Day]float64{}
		for _, day := range window {
			if v, has := value(day); has {
				zs[day] = WellnessZ(v, mean, sd)
			}
		}
		return zs, mean, sd, len(zs) >= 3
	}
	itemEvidence := func(fam Family, value func(Day) (float64, bool), item WellnessItem, name, metric string) (*Evidence, map[Day]bool, bool) {
		zs, mean, sd, ok := zOf(value)
		if !ok {
			return &Evidence{Family: fam, Metric: metric, Unit: "z", InsufficientData: true, WellnessItem: item,
				Detail: textf("Too few %s reports (needs 3 of the last %d and %d in the %d days before)", name, wt.WindowReports, minWellnessBaseline, wt.BaselineDays)}, nil, false
		}
		flagged := map[Day]bool{}
		var fdays []Day
		for _, day := range window {
			if z, has := zs[day]; has && z <= wt.AmberZ {
				flagged[day] = true
				fdays = append(fdays, day)
			}
		}
		latest := zs[window[0]]
		for _, day := range window { // newest report that answered the item
			if z, has := zs[day]; has {
				latest = z
				break
			}
		}
		// A few low answers in an otherwise normal week are how 1-5 answers scatter around
		// a mean between two integers; the week as a whole must also lean low (mean z at or
		// below half the amber level).
		// Summed in day order: a map's order would change the last bits of the sum from run
		// to run, and with them the sign of a mean near zero in the explanation, or even the
		// verdict at the boundary.
		var zsum float64
		for _, day := range window {
			if z, has := zs[day]; has {
				zsum += z
			}
		}
		meanZ := zsum / float64(len(zs))
		abn := len(fdays) >= wt.MinFlaggedReports && meanZ <= wt.AmberZ/2
		return &Evidence{
			Family: fam, Metric: metric, Value: f64(round2(latest)), Baseline: f64(round2(mean)), Threshold: f64(wt.AmberZ),
			Unit: "z", Abnormal: abn, Dates: dates(fdays...), AbnormalDays: uint32(len(fdays)), WindowDays: uint32(len(window)),
			WellnessItem: item,
			Detail: textf("%s z <= %.1f on %d of the last %d reports (fires at %d with a mean z <= %.1f; mean z %.1f, latest %.1f vs baseline %.1f, SD %.2f)",
				capitalize(name), wt.AmberZ, len(fdays), len(window), wt.MinFlaggedReports, wt.AmberZ/2, meanZ, latest, mean, sd),
		}, flagged, true
	}

	ev, _, ok := itemEvidence(famSoreness, s.itemValue(itemSoreness), WellnessSoreness, "soreness", "soreness_z")
	sore.evidence = append(sore.evidence, ev)
	sore.abnormal = ev.Abnormal
	// Joint pain is absolute: any report in the last 7 days at or above the flag.
	var painDays []Day
	maxPain := uint8(0)
	reported := false
	for day := d; day > d-7; day-- {
		if s.inRing(day) && s.rec(day).Flags&flagWellness != 0 {
			reported = true
			if p := s.rec(day).JointPain; p > 0 {
				maxPain = max(maxPain, p)
				if int(p) >= wt.JointPainFlag {
					painDays = append(painDays, day)
				}
			}
		}
	}
	if reported {
		pain := &Evidence{Family: famSoreness, Metric: "joint_pain", Value: f64(float64(maxPain)), Threshold: f64(float64(wt.JointPainFlag)),
			Unit: "score", Abnormal: len(painDays) > 0, Dates: dates(painDays...), AbnormalDays: uint32(len(painDays)), WindowDays: 7,
			WellnessItem: WellnessJointPain,
			Detail:       textf("Highest joint pain in the last 7 days %d/5 (flag at %d/5)", maxPain, wt.JointPainFlag)}
		sore.evidence = append(sore.evidence, pain)
		sore.abnormal = sore.abnormal || pain.Abnormal
	}
	sore.insufficient = !ok && !reported

	// The family's verdict rests on the composite of its items (the mean answer of motivation,
	// fatigue and sleep quality per report, McLean 2010's summed score), z-scored against its
	// own baseline like an item: three items each tested alone fire three times as often on
	// noise, while overreaching moves them together. Each item's own z stays in the evidence
	// (informative, not deciding) so a coach sees which answers moved.
	ev, _, ok = itemEvidence(famMotSleep, s.compositeValue(motSleepItems), WellnessUnspecified,
		"motivation, fatigue and sleep (mean answer)", "motivation_sleep_composite_z")
	mot.evidence = append(mot.evidence, ev)
	mot.abnormal = ev.Abnormal
	mot.insufficient = !ok
	for _, it := range motSleepItems {
		iev, _, _ := itemEvidence(famMotSleep, s.itemValue(it.slot), it.item, it.name, strings.ReplaceAll(it.name, " ", "_")+"_z")
		iev.Abnormal = false
		mot.evidence = append(mot.evidence, iev)
	}
	return sore, mot
}

// itemValue reads one wellness item of a day (false when not answered).
func (s *State) itemValue(slot int) func(Day) (float64, bool) {
	return func(d Day) (float64, bool) {
		v := s.rec(d).Wellness[slot]
		return float64(v), v > 0
	}
}

// compositeValue is the mean answer of the items a report answered (false when none).
func (s *State) compositeValue(items []motSleepItem) func(Day) (float64, bool) {
	return func(d Day) (float64, bool) {
		sum, n := 0.0, 0
		for _, it := range items {
			if v := s.rec(d).Wellness[it.slot]; v > 0 {
				sum += float64(v)
				n++
			}
		}
		if n == 0 {
			return 0, false
		}
		return sum / float64(n), true
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// wellnessItems of the motivation-and-sleep family.
type motSleepItem struct {
	slot int
	item WellnessItem
	name string
}

var motSleepItems = []motSleepItem{
	{itemMotivation, WellnessMotivation, "motivation"},
	{itemFatigue, WellnessFatigue, "fatigue"},
	{itemSleep, WellnessSleepQuality, "sleep quality"},
}

// minWellnessBaseline is the fewest baseline reports an item's mean and SD rest on: two weeks
// of answers, so a baseline of a few days cannot turn ordinary noise into z <= -1.
const minWellnessBaseline = 14
