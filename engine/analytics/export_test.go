package analytics

// Tally keys the tests of package analytics_test write and read.
const (
	KeySince     = keySince
	KeyBadgeHeld = keyBadgeHeld
)

// KeyNPS is the score answers' key, which answers counted before the
// months were kept wrote their month under.
const KeyNPS = keyNPS
