package single

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/hearth-community/hearth/engine/platform"
)

func TestApply(t *testing.T) {
	errClosed := errors.New("closed")
	var closed atomic.Bool
	b := Block{Platform: "chat", Noun: "space", ID: "S1", Name: "explorers", NoDelete: "spaces stay", Closed: &closed, ErrClosed: errClosed}
	kinds := map[platform.Kind]Func{
		platform.KindChannel: func(_ context.Context, req platform.ApplyRequest) (platform.Object, error) {
			return platform.Object{Kind: req.Kind, ID: "C1"}, nil
		},
	}
	ctx := context.Background()
	tests := []struct {
		name string
		req  platform.ApplyRequest
		want error  // nil: success
		id   string // the object's id on success
	}{
		{"adopt", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers"}}, nil, "S1"},
		{"adopt another name", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "other"}}, platform.ErrInvalid, ""},
		{"update another", platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: "S2", Attrs: platform.Attrs{"title": "x"}}, platform.ErrNotFound, ""},
		{"rename", platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: "S1", Attrs: platform.Attrs{"name": "other"}}, platform.ErrInvalid, ""},
		{"delete", platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindCommunity, ID: "S1"}, platform.ErrUnsupported, ""},
		{"channel", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: "S1", Attrs: platform.Attrs{"name": "general"}}, nil, "C1"},
		{"channel elsewhere", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: "S2", Attrs: platform.Attrs{"name": "general"}}, platform.ErrNotFound, ""},
		{"unsupported kind", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: "S1", Attrs: platform.Attrs{"name": "mods"}}, platform.ErrUnsupported, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Address = "x.y"
			resp, err := b.Apply(ctx, tt.req, kinds)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v; want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Object.ID != tt.id || resp.Object.Address != "x.y" {
				t.Errorf("object %+v; want id %s, address x.y", resp.Object, tt.id)
			}
		})
	}
	closed.Store(true)
	if _, err := b.Apply(ctx, tests[0].req, kinds); !errors.Is(err, errClosed) {
		t.Errorf("closed: err = %v", err)
	}
}

func TestRead(t *testing.T) {
	var closed atomic.Bool
	b := Block{ID: "S1", Name: "explorers", Noun: "space", Closed: &closed, ErrClosed: errors.New("closed")}
	resp, done, err := b.Read(platform.ReadRequest{Kind: platform.KindCommunity}, "t1:")
	if !done || err != nil || len(resp.Objects) != 1 || resp.Objects[0].Attrs["name"] != "explorers" {
		t.Errorf("community: %+v, done %v, %v", resp, done, err)
	}
	if _, done, err := b.Read(platform.ReadRequest{Kind: platform.KindChannel, Community: "S2"}, "t1:"); !done || !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("another community: done %v, %v", done, err)
	}
	if _, done, err := b.Read(platform.ReadRequest{Kind: "planet", Community: "S1"}, "t1:"); !done || !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("unknown kind: done %v, %v", done, err)
	}
	if _, done, err := b.Read(platform.ReadRequest{Kind: platform.KindChannel, Community: "S1"}, "t1:"); done || err != nil {
		t.Errorf("channels are the caller's: done %v, %v", done, err)
	}
}
