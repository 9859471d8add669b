package daemon

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// resourceLister is a state store that lists the platform objects apply
// made (every built-in store).
type resourceLister interface {
	Resources(ctx context.Context) ([]state.Resource, int64, error)
}

// platformCommunities tells the runtime which communities apply made,
// from state, so a member joining a full community of a capacity family
// is moved only into a sub-community that exists. The answer is kept
// for a second: joins come in bursts, and an apply adding a
// sub-community is seen soon enough.
type platformCommunities struct {
	st   resourceLister
	mu   sync.Mutex
	at   time.Time
	last map[string]bool
	now  func() time.Time
}

func (p *platformCommunities) list(ctx context.Context) (map[string]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.last != nil && now.Sub(p.at) < time.Second && !now.Before(p.at) {
		return p.last, nil
	}
	rs, _, err := p.st.Resources(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range rs {
		name, ok := strings.CutPrefix(r.Address, "community.")
		if ok && !strings.Contains(name, ".") {
			out[name] = true
		}
	}
	p.last, p.at = out, now
	return out, nil
}

// givePlatformCommunities sets the runtime's view of the communities on
// the platforms, where the store keeps them.
func (d *Daemon) givePlatformCommunities(rt *runtime.Runtime) {
	if d.platComms == nil {
		st, ok := d.opt.Store.(resourceLister)
		if !ok {
			return
		}
		d.platComms = &platformCommunities{st: st, now: time.Now}
	}
	rt.SetPlatformCommunities(d.platComms.list)
}
