package plan

// MemberImpactRounds is MemberImpact following grants to other members
// for rounds settlings only, so a test can reach past them.
var MemberImpactRounds = memberImpact
