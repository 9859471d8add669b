package zones

import (
	"archive/zip"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "write names.txt again from $GOROOT/lib/time/zoneinfo.zip")

// names.txt lists the zones of the Go that builds hearth, each of which
// loads; -update writes it again after a Go upgrade.
func TestNamesAreGosDatabase(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command to find zoneinfo.zip: %v", err)
	}
	zr, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("no zoneinfo.zip to compare with: %v", err)
	}
	defer zr.Close()
	var want []string
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/") {
			want = append(want, f.Name)
		}
	}
	sort.Strings(want)
	if *update {
		if err := os.WriteFile("names.txt", []byte(strings.Join(want, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := Names(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("names.txt has %d zones, Go's database %d: run go test ./engine/zones -update", len(got), len(want))
	}
	for _, n := range Names() {
		if _, err := time.LoadLocation(n); err != nil {
			t.Errorf("%s is listed but does not load: %v", n, err)
		}
	}
}

func TestValid(t *testing.T) {
	for name, want := range map[string]bool{
		"Europe/Berlin": true, "UTC": true, "America/Argentina/Buenos_Aires": true, "": true,
		"Mars/Olympus": false, "Europe/Berln": false, "europe/berlin": false, "Europe/Berlin ": false,
		"../etc/passwd": false, "+02:00": false,
	} {
		if got := Valid(name); got != want {
			t.Errorf("Valid(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestClosest(t *testing.T) {
	for name, want := range map[string]string{
		"Europe/Berln":     "Europe/Berlin",
		"europe/berlin":    "Europe/Berlin",
		" Europe/Berlin ":  "Europe/Berlin",
		"America/New York": "America/New_York",
		"Amerca/Chicago":   "America/Chicago",
		"Berlin":           "Europe/Berlin",
		"tokyo":            "Asia/Tokyo",
		"Mars/Olympus":     "",
		"Mars":             "",
		"XST":              "", // not "EST": a short name off by a letter is another name
		"":                 "",
		"+02:00":           "",
		// East Asian cities in their own scripts, and under another
		// city's name.
		"上海": "Asia/Shanghai", "北京": "Asia/Shanghai", " 香港 ": "Asia/Hong_Kong", "台北": "Asia/Taipei",
		"东京": "Asia/Tokyo", "東京": "Asia/Tokyo", "首尔": "Asia/Seoul", "서울": "Asia/Seoul",
		"新加坡": "Asia/Singapore", "Beijing": "Asia/Shanghai",
	} {
		if got := Closest(name); got != want {
			t.Errorf("Closest(%q) = %q, want %q", name, got, want)
		}
	}
}

// Every city's zone is one the database has.
func TestCitiesAreZones(t *testing.T) {
	for city, z := range cities {
		if !Valid(z) || z == "" {
			t.Errorf("%s: %q is not a zone", city, z)
		}
		if city != normal(city) {
			t.Errorf("%q is not written as normal writes it", city)
		}
	}
}
