package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// diskCacheAt describes how the block device major:minor keeps writes, from
// a sysfs tree at root ("/sys" on a live system): whether its cache is
// write-back and, if so, whether it takes FUA (writes that reach stable
// storage on their own). Without FUA every sync flushes the device's whole
// cache, which is what bounds the latency of a commit. "" when the tree
// does not say (no such device, a file system on no block device).
func diskCacheAt(root string, major, minor uint32) string {
	dev, err := filepath.EvalSymlinks(filepath.Join(root, "dev", "block", fmt.Sprintf("%d:%d", major, minor)))
	if err != nil {
		return ""
	}
	// A partition has no queue of its own: its disk, one level up, does.
	if _, err := os.Stat(filepath.Join(dev, "partition")); err == nil {
		dev = filepath.Dir(dev)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dev, "queue", name))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	name := filepath.Base(dev)
	switch read("write_cache") {
	case "write through":
		return name + ": write-through cache"
	case "write back":
		if read("fua") == "1" {
			return name + ": write-back cache with FUA"
		}
		return name + ": write-back cache without FUA, so every sync flushes the whole cache"
	}
	return ""
}
