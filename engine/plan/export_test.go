package plan

// MemberImpactRounds is MemberImpact following grants to other members
// for rounds settlings only, so a test can reach past them.
var MemberImpactRounds = memberImpact

// Whole is opt counting every member's moves against the stored state
// at now, as the daemon's sweep makes them, without telling the rules
// change from what time does: a test holds the preview to the sweep.
func Whole(opt ImpactOptions) ImpactOptions {
	opt.whole = true
	return opt
}
