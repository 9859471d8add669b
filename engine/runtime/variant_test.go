package runtime

import (
	"fmt"
	"math"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// Ids handed out in sequence (a local platform's mb-1, mb-2 ..., a
// forum's numeric ids) must not fall into the same arm in runs: over
// blocks of 100 consecutive ids, the share of the arm of weight 1/3 has
// the mean and the spread of independent draws (binomial: mean 33.3,
// standard deviation 4.7), where arms given in runs spread far wider.
// The hash is fixed, so this either always passes or always fails.
func TestSplitArmsOfSequentialIDs(t *testing.T) {
	vs := []*config.Variant{{Name: "friendly", Weight: 60}, {Name: "direct", Weight: 30}}
	const blocks = 100
	for _, form := range []string{"mb-%d", "%d", "user%05d"} {
		var sum, sumSq float64
		longest, run, last := 0, 0, ""
		for i := range blocks * 100 {
			arm := pickVariant(vs, "onboarding", fmt.Sprintf(form, i+1))
			if arm == last {
				run++
			} else {
				run = 1
			}
			last = arm
			longest = max(longest, run)
			if (i+1)%100 == 0 {
				direct := 0.0
				for j := i - 99; j <= i; j++ {
					if pickVariant(vs, "onboarding", fmt.Sprintf(form, j+1)) == "direct" {
						direct++
					}
				}
				sum += direct
				sumSq += direct * direct
			}
		}
		mean := sum / blocks
		sd := math.Sqrt(sumSq/blocks - mean*mean)
		// Three standard errors of the mean; the spread within 3.5–6.
		if math.Abs(mean-100.0/3) > 1.5 || sd < 3.5 || sd > 6 || longest > 30 {
			t.Errorf("ids %s: direct (weight 1/3) %.1f of 100 on average, spread %.1f (independent draws: 4.7), longest run of one arm %d", form, mean, sd, longest)
		}
	}
}

// The choice is stable: the same member and campaign always get the
// same arm, and weights of 0 are never chosen.
func TestSplitArmIsStable(t *testing.T) {
	vs := []*config.Variant{{Name: "a", Weight: 1}, {Name: "off", Weight: 0}, {Name: "b", Weight: 1}}
	for i := range 200 {
		id := fmt.Sprintf("m%d", i)
		first := pickVariant(vs, "c", id)
		if first == "off" {
			t.Fatalf("%s got the arm of weight 0", id)
		}
		if again := pickVariant(vs, "c", id); again != first {
			t.Fatalf("%s: %s then %s", id, first, again)
		}
	}
}
