//go:build !linux

package main

// diskCache is empty where the system does not describe its disks' caches
// the way Linux's sysfs does.
func diskCache(string) string { return "" }
