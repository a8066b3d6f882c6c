package policy

import "time"

// grantWindow sets Decision.GrantUntil for time-bound access: now plus the
// requested duration, capped by the applied rules' and the resource's
// max_duration (the cap is the default when nothing was requested).
func (st *evalState) grantWindow(d *Decision) *Node {
	c := st.cls.Category
	if c != AccessGrant && c != PrivilegedAccess {
		return nil
	}
	requested := st.cls.Entitlement.Duration
	limit, by := time.Duration(0), ""
	for _, r := range st.applied {
		if r.MaxDuration > 0 && (limit == 0 || r.MaxDuration < limit) {
			limit, by = r.MaxDuration, "rule "+r.Name
		}
	}
	if st.resIdx >= 0 {
		if m := st.p.resources[st.resIdx].MaxDuration; m > 0 && (limit == 0 || m < limit) {
			limit, by = m, "resource "+st.p.resources[st.resIdx].Name
		}
	}
	eff := requested
	var reason string
	switch {
	case limit == 0 && requested == 0:
		return st.node("duration", "grant", Skipped, "no duration requested and no max_duration: access does not expire")
	case limit == 0:
		reason = "requested " + formatDuration(requested)
	case requested == 0:
		eff, reason = limit, "no duration requested; max_duration "+formatDuration(limit)+" of "+by+" applies"
	case requested > limit:
		eff, reason = limit, "requested "+formatDuration(requested)+", capped to "+formatDuration(limit)+" by "+by
	default:
		reason = "requested " + formatDuration(requested) + " (within max_duration " + formatDuration(limit) + " of " + by + ")"
	}
	d.GrantUntil = st.now.Add(eff)
	return st.node("duration", "grant", Passed, reason+"; access until "+d.GrantUntil.UTC().Format(time.RFC3339))
}
