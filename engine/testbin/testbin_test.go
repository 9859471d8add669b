package testbin

import (
	"net"
	"testing"
)

func TestBinName(t *testing.T) {
	for _, tc := range []struct{ module, pkg, want string }{
		{"github.com/axllent/mailpit", ".", "mailpit"},
		{"github.com/axllent/mailpit", "", "mailpit"},
		{"github.com/element-hq/dendrite", "cmd/dendrite", "dendrite"},
		{"github.com/element-hq/dendrite", "./cmd/generate-keys", "generate-keys"},
	} {
		if got := binName(tc.module, tc.pkg); got != tc.want {
			t.Errorf("binName(%q, %q) = %q; want %q", tc.module, tc.pkg, got, tc.want)
		}
	}
}

func TestFreeAddr(t *testing.T) {
	addr := FreeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("FreeAddr gave %s, which cannot be listened on: %v", addr, err)
	}
	l.Close()
}

func TestCacheDir(t *testing.T) {
	t.Setenv("HEARTH_TEST_CACHE", "/tmp/somewhere")
	if d, err := CacheDir(); err != nil || d != "/tmp/somewhere" {
		t.Errorf("CacheDir with HEARTH_TEST_CACHE: %q, %v", d, err)
	}
}
