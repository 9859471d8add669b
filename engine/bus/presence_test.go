package bus

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// syncBuffer is a log both replicas' goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Replicas see each other's configuration fingerprints: with the same
// one, no mismatch; with different ones, a mismatch in Replicas and the
// metric, and one warning per replica however many heartbeats pass.
func TestReplicasCompareConfigurations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hashB  string
		differ bool
	}{
		{"same", "aaaaaaaaaaaaaaaa", false},
		{"different", "bbbbbbbbbbbbbbbb", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := freshStream(t)
			var log syncBuffer
			open := func(name, hash string) *Bus {
				b, err := Open(context.Background(), Options{URL: natsURL(t), Stream: stream, Partitions: 4, Replica: name,
					Lease: 400 * time.Millisecond, Batch: 10, Log: slog.New(slog.NewTextHandler(&log, nil)),
					Info: func() Info { return Info{Hash: hash, Version: "v-test", Address: name + ":7341"} }})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(b.Close)
				return b
			}
			a, b := open("a", "aaaaaaaaaaaaaaaa"), open("b", tc.hashB)
			rec := newRecorder()
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, x := range []*Bus{a, b} {
				wg.Go(func() { _ = x.Run(ctx, rec, rec) })
			}
			defer func() { cancel(); wg.Wait() }()
			waitFor(t, "both replicas seeing both", func() bool {
				ra, _ := a.Replicas()
				rb, _ := b.Replicas()
				return len(ra) == 2 && len(rb) == 2 && len(a.Owned())+len(b.Owned()) == 4
			})
			// Several heartbeats more: the warning is not repeated. A
			// heartbeat late on a busy machine can drop a replica from
			// one rebalance, so the list is awaited, not sampled once.
			time.Sleep(time.Second)
			var rs []Replica
			var mismatched bool
			waitFor(t, "a seeing a and b with all partitions", func() bool {
				rs, mismatched = a.Replicas()
				return len(rs) == 2 && rs[0].ID == "a" && rs[1].ID == "b" && len(rs[0].Partitions)+len(rs[1].Partitions) == 4
			})
			if mismatched != tc.differ {
				t.Errorf("mismatch %v; want %v (replicas %+v)", mismatched, tc.differ, rs)
			}
			if rs[0].ID != "a" || rs[1].ID != "b" || rs[1].Hash != tc.hashB || rs[1].Version != "v-test" || rs[1].Address != "b:7341" || !rs[0].Self || rs[1].Self {
				t.Errorf("replicas as a sees them: %+v", rs)
			}
			if held := len(rs[0].Partitions) + len(rs[1].Partitions); held != 4 {
				t.Errorf("partitions held by the heartbeats: %d; want 4 (%+v)", held, rs)
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(a)
			families, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			gauges := map[string]float64{}
			for _, f := range families {
				if m := f.GetMetric(); len(m) == 1 && m[0].GetGauge() != nil {
					gauges[f.GetName()] = m[0].GetGauge().GetValue()
				}
			}
			want := 0.0
			if tc.differ {
				want = 1
			}
			if gauges["hearth_replicas"] != 2 || gauges["hearth_config_mismatch"] != want {
				t.Errorf("hearth_replicas %v, hearth_config_mismatch %v; want 2 and %v", gauges["hearth_replicas"], gauges["hearth_config_mismatch"], want)
			}
			warnings := strings.Count(log.String(), "live replicas run different configurations")
			switch {
			case tc.differ && warnings != 2:
				t.Errorf("%d warnings; want one from each replica:\n%s", warnings, log.String())
			case !tc.differ && warnings != 0:
				t.Errorf("%d warnings for replicas that agree:\n%s", warnings, log.String())
			}
			if tc.differ && !strings.Contains(log.String(), `replicas="a=aaaaaaaaaaaa, b=bbbbbbbbbbbb"`) {
				t.Errorf("the warning does not name the replicas and hashes:\n%s", log.String())
			}
		})
	}
}

// A replica of an older hearth wrote only the time: it counts as live
// and says nothing about its configuration.
func TestMismatchLeavesOutReplicasThatDoNotSay(t *testing.T) {
	rs := []Replica{{ID: "a", Hash: "x"}, {ID: "old"}, {ID: "c", Hash: "x"}}
	if m := mismatch(rs); m != "" {
		t.Errorf("mismatch %q; want none", m)
	}
	rs[1].Hash = "y"
	if m := mismatch(rs); m != "a=x, old=y, c=x" {
		t.Errorf("mismatch %q", m)
	}
}
