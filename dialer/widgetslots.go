package dialer

import "time"

// Opening slots a visitor outside working hours picks from.
const (
	SlotStep    = 30 * time.Minute
	SlotHorizon = 7 * 24 * time.Hour
	MaxSlots    = 50
	// SlotLead keeps the first slot far enough off that a visitor has
	// the time to pick it.
	SlotLead = 10 * time.Minute
)

// OpeningSlots are the instants on the SlotStep grid, from SlotLead after
// now to SlotHorizon after it, when a callable manager of ms is open; at
// most MaxSlots, earliest first.
func OpeningSlots(ms []Manager, now time.Time) []time.Time {
	cs, _ := callableSchedules(ms)
	out := []time.Time{}
	if len(cs) == 0 {
		return out
	}
	end := now.Add(SlotHorizon)
	for t := now.Add(SlotLead).Truncate(SlotStep); !t.After(end) && len(out) < MaxSlots; t = t.Add(SlotStep) {
		if t.Before(now.Add(SlotLead)) {
			continue
		}
		for _, c := range cs {
			if c.OpenAt(t) {
				out = append(out, t.UTC())
				break
			}
		}
	}
	return out
}

// SlotAcceptable reports whether a visitor may ask to be called at t: after
// now, within the horizon, and when a callable manager of ms is open.
func SlotAcceptable(ms []Manager, now, t time.Time) bool {
	if !t.After(now) || t.After(now.Add(SlotHorizon+SlotStep)) {
		return false
	}
	cs, _ := callableSchedules(ms)
	for _, c := range cs {
		if c.OpenAt(t) {
			return true
		}
	}
	return false
}
