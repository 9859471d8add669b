package main

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeSysfs builds the sysfs entries of one disk, vda (254:0), with one
// partition, vda1 (254:1), and a cache as given.
func fakeSysfs(t *testing.T, writeCache, fua string) string {
	t.Helper()
	root := t.TempDir()
	disk := filepath.Join(root, "devices", "virtio1", "block", "vda")
	files := map[string]string{
		filepath.Join(disk, "queue", "write_cache"): writeCache + "\n",
		filepath.Join(disk, "queue", "fua"):         fua + "\n",
		filepath.Join(disk, "vda1", "partition"):    "1\n",
	}
	for path, text := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := filepath.Join(root, "dev", "block")
	if err := os.MkdirAll(links, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"254:0": "../../devices/virtio1/block/vda", "254:1": "../../devices/virtio1/block/vda/vda1"} {
		if err := os.Symlink(target, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestDiskCacheAt(t *testing.T) {
	for _, tc := range []struct {
		writeCache, fua string
		minor           uint32
		want            string
	}{
		{"write back", "0", 0, "vda: write-back cache without FUA, so every sync flushes the whole cache"},
		{"write back", "0", 1, "vda: write-back cache without FUA, so every sync flushes the whole cache"}, // a partition: its disk's queue
		{"write back", "1", 1, "vda: write-back cache with FUA"},
		{"write through", "0", 0, "vda: write-through cache"},
		{"write back", "0", 7, ""}, // no such device
		{"", "", 0, ""},            // a queue that does not say
	} {
		root := fakeSysfs(t, tc.writeCache, tc.fua)
		if got := diskCacheAt(root, 254, tc.minor); got != tc.want {
			t.Errorf("%q, fua %q, 254:%d: %q; want %q", tc.writeCache, tc.fua, tc.minor, got, tc.want)
		}
	}
	// The live system answers something or nothing, and never fails.
	_ = diskCache(t.TempDir())
}
