package platform

import (
	"context"
	"fmt"
	"iter"
)

// All pages through a listing: it yields every object of req.Kind in
// order, then stops; an error is yielded once, last. The engine's plan
// reads with it so no caller handles page tokens.
func All(ctx context.Context, r Reader, req ReadRequest) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		seen := map[string]bool{}
		for {
			resp, err := r.Read(ctx, req)
			if err != nil {
				yield(Object{}, err)
				return
			}
			for _, o := range resp.Objects {
				if !yield(o, nil) {
					return
				}
			}
			if resp.NextPageToken == "" {
				return
			}
			// A token that repeats would loop forever; an adapter bug must
			// not hang plan.
			if seen[resp.NextPageToken] {
				yield(Object{}, fmt.Errorf("reading %s: the platform returned page token %q twice", req.Kind, resp.NextPageToken))
				return
			}
			seen[resp.NextPageToken] = true
			req.PageToken = resp.NextPageToken
		}
	}
}

// ReadAll collects every object of a listing.
func ReadAll(ctx context.Context, r Reader, req ReadRequest) ([]Object, error) {
	var out []Object
	for o, err := range All(ctx, r, req) {
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}
