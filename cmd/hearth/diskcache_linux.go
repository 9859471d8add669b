package main

import "golang.org/x/sys/unix"

// diskCache is diskCacheAt for the device holding path.
func diskCache(path string) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ""
	}
	return diskCacheAt("/sys", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)))
}
