package platform

import (
	"context"
	"fmt"
	"iter"
)

// pages yields each page of a listing, then stops; an error is yielded
// once, last.
func pages(ctx context.Context, r Reader, req ReadRequest) iter.Seq2[ReadResponse, error] {
	return func(yield func(ReadResponse, error) bool) {
		seen := map[string]bool{}
		for {
			resp, err := r.Read(ctx, req)
			if err != nil {
				yield(ReadResponse{}, err)
				return
			}
			if !yield(resp, nil) || resp.NextPageToken == "" {
				return
			}
			// A token that repeats would loop forever; an adapter bug must
			// not hang plan.
			if seen[resp.NextPageToken] {
				yield(ReadResponse{}, fmt.Errorf("reading %s: the platform returned page token %q twice", req.Kind, resp.NextPageToken))
				return
			}
			seen[resp.NextPageToken] = true
			req.PageToken = resp.NextPageToken
		}
	}
}

// All pages through a listing: it yields every object of req.Kind in
// order, then stops; an error is yielded once, last. The engine's plan
// reads with it so no caller handles page tokens.
func All(ctx context.Context, r Reader, req ReadRequest) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		for resp, err := range pages(ctx, r, req) {
			if err != nil {
				yield(Object{}, err)
				return
			}
			for _, o := range resp.Objects {
				if !yield(o, nil) {
					return
				}
			}
		}
	}
}

// ReadAll collects every object of a listing.
func ReadAll(ctx context.Context, r Reader, req ReadRequest) ([]Object, error) {
	objs, _, err := ReadAllWarned(ctx, r, req)
	return objs, err
}

// ReadAllWarned collects every object of a listing and the warnings of
// its pages (ReadResponse.Warnings).
func ReadAllWarned(ctx context.Context, r Reader, req ReadRequest) ([]Object, []string, error) {
	var out []Object
	var warnings []string
	for resp, err := range pages(ctx, r, req) {
		if err != nil {
			return out, warnings, err
		}
		out = append(out, resp.Objects...)
		warnings = append(warnings, resp.Warnings...)
	}
	return out, warnings, nil
}
