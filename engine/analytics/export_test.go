package analytics

// Tally keys the tests of package analytics_test write and read.
const (
	KeySince     = keySince
	KeyBadgeHeld = keyBadgeHeld
)
