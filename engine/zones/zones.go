// Package zones tells the IANA time zone names hearth takes for a
// member's timezone from those it drops, and suggests the name a
// misspelt one was meant to be ("Europe/Berln": "Europe/Berlin").
//
// It embeds Go's copy of the time zone database (time/tzdata), so a
// binary using it loads zones on a minimal image with no
// /usr/share/zoneinfo: without it, every member's zone would be dropped
// there and quiet hours would run in the community's zone. A system
// database, when there is one, is still read first.
package zones

import (
	_ "embed"
	"strings"
	"sync"
	"time"
	_ "time/tzdata"

	"github.com/agext/levenshtein"
)

// namesTxt lists the zones of Go's time zone database
// ($GOROOT/lib/time/zoneinfo.zip, which time/tzdata embeds), one a line;
// `go test ./engine/zones -update` writes it again after a Go upgrade.
//
//go:embed names.txt
var namesTxt string

// known is the zone names, as a list and a set, read once.
var known = sync.OnceValues(func() ([]string, map[string]bool) {
	list := strings.Fields(namesTxt)
	set := make(map[string]bool, len(list))
	for _, n := range list {
		set[n] = true
	}
	return list, set
})

// Names are the zone names Go's time zone database holds, sorted.
func Names() []string {
	list, _ := known()
	return append([]string(nil), list...)
}

// Valid says whether a member's timezone of name is kept: whether
// time.LoadLocation, as the runtime calls it, takes it. A name of the
// embedded database is answered without loading it, which reads the
// database each time; another is loaded, as a newer system database
// may have it. "" is valid: it clears the member's zone.
func Valid(name string) bool {
	if _, set := known(); set[name] {
		return true
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Closest is the zone name that name, one Valid refuses, looks like a
// slip of, or "" when none is close: the same name in other case or
// with spaces ("europe/berlin ", "America/New York"), one a few letters
// off ("Europe/Berln"), the one zone whose city it names ("Berlin"), or
// the zone of a major East Asian city named in its own script ("上海":
// Asia/Shanghai, "東京", "서울") or under another city's ("Beijing").
func Closest(name string) string {
	list, _ := known()
	want := normal(name)
	if want == "" {
		return ""
	}
	for _, n := range list {
		if strings.ToLower(n) == want {
			return n
		}
	}
	if z, ok := cities[want]; ok {
		return z
	}
	best, bestD := "", 1<<30
	for _, n := range list {
		if d := levenshtein.Distance(want, strings.ToLower(n), nil); d < bestD {
			best, bestD = n, d
		}
	}
	// A slip is a letter or two in a long name; a short name a few
	// letters off another ("EST", "MST") is another name, not a slip.
	if bestD <= min(3, len(want)/5) {
		return best
	}
	if !strings.Contains(want, "/") {
		var city []string
		for _, n := range list {
			if i := strings.LastIndexByte(n, '/'); i >= 0 && strings.ToLower(n[i+1:]) == want && !legacy(n) {
				city = append(city, n)
			}
		}
		if len(city) == 1 {
			return city[0]
		}
	}
	return ""
}

// cities are places people write for a zone that the database names
// otherwise or not at all: major cities of East Asia in Chinese,
// Japanese and Korean (上海, 東京, 서울), and cities a zone stands for
// under another city's name (Beijing and Shenzhen keep Shanghai's
// time). Keys are as normal writes them.
var cities = map[string]string{
	"上海": "Asia/Shanghai", "北京": "Asia/Shanghai", "深圳": "Asia/Shanghai", "广州": "Asia/Shanghai",
	"廣州": "Asia/Shanghai", "杭州": "Asia/Shanghai", "成都": "Asia/Shanghai", "南京": "Asia/Shanghai",
	"武汉": "Asia/Shanghai", "武漢": "Asia/Shanghai", "重庆": "Asia/Shanghai", "重慶": "Asia/Shanghai",
	"天津": "Asia/Shanghai", "西安": "Asia/Shanghai", "苏州": "Asia/Shanghai", "蘇州": "Asia/Shanghai",
	"中国": "Asia/Shanghai", "中國": "Asia/Shanghai", "ペキン": "Asia/Shanghai", "シャンハイ": "Asia/Shanghai",
	"베이징": "Asia/Shanghai", "상하이": "Asia/Shanghai",
	"beijing": "Asia/Shanghai", "peking": "Asia/Shanghai", "shenzhen": "Asia/Shanghai", "guangzhou": "Asia/Shanghai",
	"hangzhou": "Asia/Shanghai", "chengdu": "Asia/Shanghai", "nanjing": "Asia/Shanghai", "wuhan": "Asia/Shanghai",
	"香港": "Asia/Hong_Kong", "ホンコン": "Asia/Hong_Kong", "홍콩": "Asia/Hong_Kong", "hongkong": "Asia/Hong_Kong",
	"澳门": "Asia/Macau", "澳門": "Asia/Macau",
	"台北": "Asia/Taipei", "臺北": "Asia/Taipei", "台湾": "Asia/Taipei", "台灣": "Asia/Taipei", "臺灣": "Asia/Taipei",
	"タイペイ": "Asia/Taipei", "타이베이": "Asia/Taipei",
	"东京": "Asia/Tokyo", "東京": "Asia/Tokyo", "とうきょう": "Asia/Tokyo", "大阪": "Asia/Tokyo", "京都": "Asia/Tokyo",
	"日本": "Asia/Tokyo", "도쿄": "Asia/Tokyo", "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo",
	"首尔": "Asia/Seoul", "首爾": "Asia/Seoul", "서울": "Asia/Seoul", "ソウル": "Asia/Seoul", "韩国": "Asia/Seoul",
	"韓国": "Asia/Seoul", "韓國": "Asia/Seoul", "한국": "Asia/Seoul", "부산": "Asia/Seoul", "busan": "Asia/Seoul",
	"新加坡": "Asia/Singapore", "シンガポール": "Asia/Singapore", "싱가포르": "Asia/Singapore",
}

// normal is name as Closest compares it: trimmed, lower case, with the
// database's underscores for spaces.
func normal(name string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), " ", "_"))
}

// legacy says whether n is one of the database's old names kept as
// links ("US/Pacific", "Etc/GMT+5"), which a city alone should not
// suggest over the zone it links to.
func legacy(n string) bool {
	area, _, _ := strings.Cut(n, "/")
	switch area {
	case "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific":
		return false
	}
	return true
}
