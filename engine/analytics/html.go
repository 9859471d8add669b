package analytics

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes the report as one self-contained page: inline styles
// and SVG charts, no scripts, nothing fetched, so it can be mailed or
// archived as it is.
func WriteHTML(w io.Writer, r *Report) error {
	return page.Execute(w, r)
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":         func(f float64) string { return pct(f) },
	"money":       func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"noRevenue":   func() string { return noRevenue },
	"paying":      payingMembers,
	"signed":      func(f float64) string { return fmt.Sprintf("%+.1f", f) },
	"heat":        heat,
	"daily":       dailyChart,
	"sizes":       sizesChart,
	"hasSizes":    hasSizes,
	"width":       func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"answers":     func(n NPS) int64 { return n.total() },
	"count":       count[int64],
	"nonzero":     func(c Cohort) bool { return c.Size > 0 },
	"offsets":     offsets,
	"title":       title,
	"k":           kFactor,
	"funnelNote":  func(r *Report) string { return r.funnelNote() },
	"tiersWhen":   func(r *Report) string { return r.tiersWhen() },
	"surveysNote": func(r *Report) string { return r.surveysNote() },
	"badgesNote":  func(r *Report) string { return r.badgesNote() },
	"campNote":    func(r *Report) string { return r.campaignsNote() },
	"rate": func(f *float64) string {
		if f == nil {
			return "–"
		}
		return pct(*f)
	},
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title .}} · {{.AsOf}}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #dde2ea; }
.kpis { display: flex; flex-wrap: wrap; gap: 1rem; }
.kpi { border: 1px solid #dde2ea; border-radius: 6px; padding: .5rem .8rem; min-width: 8rem; }
.kpi b { display: block; font-size: 1.4rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .2rem .5rem; text-align: right; white-space: nowrap; } th:first-child, td:first-child { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; }
.bar { background: #e8ecf2; width: 16rem; max-width: 40vw; height: .8rem; border-radius: 3px; }
.bar span { display: block; height: 100%; background: #3d6fb4; border-radius: 3px; }
.muted { color: #6b7384; }
svg text { font-size: 10px; fill: #6b7384; }
</style>
</head>
<body>
<h1>{{title .}} as of {{.AsOf}}</h1>
<p class="muted">{{.Schema}}</p>

<h2>Members</h2>
<div class="kpis">
<div class="kpi">current<b>{{.Members.Current}}</b><span class="muted">{{.Members.Joined}} joined, {{.Members.Left}} left</span></div>
<div class="kpi">active 1 day<b>{{pct .Active.Ratio1}}</b><span class="muted">{{.Active.D1}} members</span></div>
<div class="kpi">active 7 days<b>{{pct .Active.Ratio7}}</b><span class="muted">{{.Active.D7}} members</span></div>
<div class="kpi">active 30 days<b>{{pct .Active.Ratio30}}</b><span class="muted">{{.Active.D30}} of {{.Active.Of30}} members</span></div>
</div>
<p>Members active per day (bars), in the 7 days (orange) and the 30 days (green) ending on it, last 90 days</p>
{{daily .Daily}}

<h2>Retention by weekly cohort</h2>
<div class="scroll"><table><tr><th>week of</th><th>size</th>{{range offsets .Weekly}}<th>w{{.}}</th>{{end}}</tr>
{{range .Weekly}}{{if nonzero .}}<tr><td>{{.Start}}</td><td>{{.Size}}</td>{{range .Rate}}<td style="{{heat .}}">{{pct .}}</td>{{end}}</tr>{{end}}{{end}}
</table></div>
<h2>Retention by monthly cohort</h2>
<div class="scroll"><table><tr><th>month of</th><th>size</th>{{range offsets .Monthly}}<th>m{{.}}</th>{{end}}</tr>
{{range .Monthly}}{{if nonzero .}}<tr><td>{{.Start}}</td><td>{{.Size}}</td>{{range .Rate}}<td style="{{heat .}}">{{pct .}}</td>{{end}}</tr>{{end}}{{end}}
</table></div>

<h2>Funnel</h2>
{{with funnelNote .}}<p class="muted">The funnel is {{.}}.</p>{{end}}
<div class="scroll"><table>{{range .Funnel}}<tr><td>{{if .Title}}tier {{.Title}}{{else}}{{.Name}}{{end}}</td><td>{{.Members}}</td><td><div class="bar"><span style="width: {{width .Rate}}"></span></div></td><td>{{pct .Rate}}</td><td class="muted">{{pct .Step}} of the step before</td></tr>{{end}}</table></div>
{{if .Tiers}}<p>On each tier {{tiersWhen .}}: {{range $i, $t := .Tiers}}{{if $i}}, {{end}}{{or $t.Title $t.Name}} {{$t.Members}}{{end}}</p>{{end}}

<h2>Referrals</h2>
<div class="kpis">
<div class="kpi">invites<b>{{.Referrals.Invites}}</b></div>
<div class="kpi">referred joins<b>{{.Referrals.Conversions}}</b><span class="muted">{{if .Referrals.Invites}}{{pct .Referrals.ConvRate}} of invites{{else}}no invites counted{{end}}</span></div>
<div class="kpi">K-factor<b>{{printf "%.2f" .Referrals.KFactor}}</b></div>
</div>
<div class="scroll"><table><tr><th>month</th><th>base</th><th>invites</th><th>joins</th><th>K</th></tr>
{{range .Referrals.Monthly}}{{if or .Invites .Conversions}}<tr><td>{{.Month}}</td><td>{{.Base}}</td><td>{{.Invites}}</td><td>{{.Conversions}}</td><td>{{k .KFactor}}</td></tr>{{end}}{{end}}</table></div>

<h2>Points</h2>
<p>Granted {{.Points.Granted}}, deducted {{.Points.Deducted}} (negative grants), expired {{.Points.Expired}}, outstanding {{.Points.Outstanding}}.{{if .Points.Imported}} Imported {{.Points.Imported}}: opening balances of imported members, in outstanding, not in granted.{{end}}</p>
<div class="scroll"><table><tr><th>month</th><th>granted</th><th>deducted</th><th>expired</th><th>outstanding</th></tr>
{{range .Points.Monthly}}{{if or .Granted .Deducted .Expired}}<tr><td>{{.Month}}</td><td>{{.Granted}}</td><td>{{.Deducted}}</td><td>{{.Expired}}</td><td>{{.Outstanding}}</td></tr>{{end}}{{end}}</table></div>

<h2>Badges</h2>
{{with badgesNote .}}<p class="muted">Badges are {{.}}.</p>{{end}}
{{if .Badges}}<div class="scroll"><table><tr><th>badge</th><th>holders</th><th>awarded</th><th>7 days</th><th>30 days</th><th>revoked</th><th>first</th><th>latest</th></tr>
{{range .Badges}}<tr><td>{{.Title}}</td><td>{{.Holders}}</td><td>{{.Awarded}}</td><td>{{.Awarded7}}</td><td>{{.Awarded30}}</td><td>{{if or .Revocable .Revoked}}{{.Revoked}}{{else}}–{{end}}</td><td>{{or .First "–"}}</td><td>{{or .Last "–"}}</td></tr>{{end}}</table></div>{{else}}<p>None configured.</p>{{end}}

{{if hasSizes .Series}}<h2>Segments by {{.Series.By}}</h2>
<p>Members in each segment at the end of each {{.Series.By}}{{with .Series.SizesFrom}}, kept since {{.}}{{end}}</p>
{{sizes .Series}}
<div class="scroll"><table><tr><th>{{.Series.By}}</th>{{range (index .Series.Periods 0).Entered}}<th>{{.Name}}</th>{{end}}</tr>
{{range .Series.Periods}}{{if .Segments}}<tr><td>{{.Start}}</td>{{range $i, $s := .Segments}}<td>{{$s.Count}}</td>{{end}}</tr>{{end}}{{end}}</table></div>{{end}}

{{if .Campaigns}}<h2>Campaigns</h2>
{{with campNote .}}<p class="muted">Campaign runs are {{.}}.</p>{{end}}
<div class="scroll"><table><tr><th>campaign</th><th>entered</th><th>ended</th><th>goal</th><th>converted</th><th>goal rate</th><th>entered 30 days</th><th>goal 30 days</th></tr>
{{range .Campaigns}}<tr><td>{{.Name}}{{if .Removed}} (removed){{end}}</td><td>{{.Entered}}</td><td>{{.Ended}}</td><td>{{.Goal}}</td><td>{{.Converted}}</td><td>{{if .NoGoal}}no goal{{else}}{{rate .GoalRate}}{{end}}</td><td>{{.Entered30}}</td><td>{{.Goal30}}</td></tr>{{end}}</table></div>
<p class="muted">Goal: runs that reached the goal, converted ones (after the last step, within conversion_window) included; goal rate: of the ended runs.</p>{{end}}

<h2>Lifetime value</h2>
{{if or .Revenue.Payers .Revenue.Total}}{{if .Revenue.ToDate}}<p>Revenue {{money .Revenue.Total}} by {{.AsOf}}: {{money .Revenue.LTV}} per member. {{paying .Revenue.Payers}} and the cohorts below count to the latest day: they are kept by cohort, not by month of payment.</p>{{else}}<p>Revenue {{money .Revenue.Total}} from {{paying .Revenue.Payers}}: {{money .Revenue.LTV}} per member, {{money .Revenue.ARPPU}} per paying member.</p>{{end}}
{{if .Revenue.Monthly}}<div class="scroll"><table><tr><th>month</th><th>revenue</th></tr>
{{range .Revenue.Monthly}}{{if .Amount}}<tr><td>{{.Month}}</td><td>{{money .Amount}}</td></tr>{{end}}{{end}}</table></div>{{end}}
<div class="scroll"><table><tr><th>cohort</th><th>members</th><th>payers</th><th>revenue</th><th>LTV</th></tr>
{{range .Revenue.Cohorts}}{{if or .Members .Revenue}}<tr><td>{{.Month}}</td><td>{{.Members}}</td><td>{{.Payers}}</td><td>{{money .Revenue}}</td><td>{{money .LTV}}</td></tr>{{end}}{{end}}</table></div>{{else}}<p class="muted">{{noRevenue}}</p>{{end}}

<h2>Surveys</h2>
{{with surveysNote .}}<p class="muted">These are {{.}}.</p>{{end}}
{{range .Surveys}}<h3>{{.Survey}}.{{.Question}}</h3>
{{if .NPS}}<p>NPS <b>{{signed .NPS.Score}}</b> from {{count .Responses "answer" "answers"}}: {{count .NPS.Promoters "promoter" "promoters"}}, {{count .NPS.Passives "passive" "passives"}}, {{count .NPS.Detractors "detractor" "detractors"}}.</p>
<div class="scroll"><table><tr><th>group</th><th>answers</th><th>NPS</th></tr>
{{range .ByTier}}<tr><td>tier {{.Name}}</td><td>{{answers .NPS}}</td><td>{{signed .Score}}</td></tr>{{end}}
{{range .BySegment}}<tr><td>segment {{.Name}}</td><td>{{answers .NPS}}</td><td>{{signed .Score}}</td></tr>{{end}}
{{range .ByMonth}}<tr><td>month {{.Name}}</td><td>{{answers .NPS}}</td><td>{{signed .Score}}</td></tr>{{end}}
</table></div>{{else}}<div class="scroll"><table>{{range .Choices}}<tr><td>{{.Choice}}</td><td>{{.Count}}</td><td><div class="bar"><span style="width: {{width .Share}}"></span></div></td><td>{{pct .Share}}</td></tr>{{end}}</table></div>
{{range .ChoicesByMonth}}<p>month {{.Month}}: {{range $i, $c := .Choices}}{{if $i}}, {{end}}{{$c.Choice}} {{$c.Count}} ({{pct $c.Share}}){{end}}</p>{{end}}{{end}}
{{else}}<p class="muted">No surveys configured.</p>{{end}}
{{with .SurveyMonthsFrom}}<p class="muted">Answers by month kept since {{.}}: before, the state store kept a member's latest answer only, so a later answer took the earlier month's away.</p>{{end}}
</body>
</html>
`))

// offsets numbers the periods of the widest cohort with members.
func offsets(cs []Cohort) []int {
	n := 0
	for _, c := range cs {
		if c.Size > 0 {
			n = max(n, len(c.Rate))
		}
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// heat shades a retention cell by its rate.
func heat(f float64) template.CSS {
	return template.CSS(fmt.Sprintf("background: rgba(61, 111, 180, %.2f)", 0.08+0.7*f))
}

// dailyChart draws members active per day as bars, with the 7- and
// 30-day counts as lines, over a y axis labelled at round steps from 0
// to the top, so a bar can be read off it.
func dailyChart(days []DayPoint) template.HTML {
	const w, h, pad, left = 720.0, 120.0, 16.0, 36.0 // left: room for the axis labels
	var most int64 = 1
	for _, d := range days {
		most = max(most, d.Active, d.Active7, d.Active30)
	}
	step := tickStep(most)
	top := (most + step - 1) / step * step // the axis ends on a tick
	y := func(v int64) float64 { return pad/2 + h - float64(v)/float64(top)*h }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="members active per day">`, w, h+pad*2)
	for v := int64(0); v <= top; v += step {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#dde2ea"/><text x="%.0f" y="%.1f" text-anchor="end" dominant-baseline="middle">%d</text>`,
			left, w, y(v), y(v), left-4, y(v), v)
	}
	bw := (w - left) / float64(max(1, len(days)))
	for i, d := range days {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#3d6fb4"><title>%s: %d active</title></rect>`,
			left+float64(i)*bw, y(d.Active), max(bw-1, 1), y(0)-y(d.Active), template.HTMLEscapeString(d.Date), d.Active)
	}
	for _, line := range []struct {
		color string
		value func(DayPoint) int64
	}{{"#d9622b", func(d DayPoint) int64 { return d.Active7 }}, {"#2f8a57", func(d DayPoint) int64 { return d.Active30 }}} {
		b.WriteString(`<polyline fill="none" stroke-width="2" stroke="` + line.color + `" points="`)
		for i, d := range days {
			fmt.Fprintf(&b, "%.1f,%.1f ", left+(float64(i)+0.5)*bw, y(line.value(d)))
		}
		b.WriteString(`"/>`)
	}
	if len(days) > 0 {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text><text x="%.0f" y="%.0f" text-anchor="end">%s</text>`,
			left, h+pad*2-2, template.HTMLEscapeString(days[0].Date), w, h+pad*2-2, template.HTMLEscapeString(days[len(days)-1].Date))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// tickStep is the y axis's step for values up to most: 1, 2 or 5 times
// a power of ten, giving two to five steps.
func tickStep(most int64) int64 {
	for pow := int64(1); ; pow *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if most <= m*pow*5 {
				return m * pow
			}
		}
	}
}

// hasSizes says a series holds segment sizes for some period.
func hasSizes(s *Series) bool {
	if s == nil {
		return false
	}
	for _, p := range s.Periods {
		if len(p.Segments) > 0 {
			return true
		}
	}
	return false
}

// segmentColors tell a chart's segments apart; more segments than
// colours reuse them in turn, and each line's title names it.
var segmentColors = [...]string{"#3d6fb4", "#d9622b", "#2f8a57", "#8a4fb4", "#b48a2f", "#2f8a8a"}

// sizesChart draws each segment's size at the end of each period with
// sizes as a line, over a y axis labelled as the daily chart's, with a
// legend of the segments in their colours.
func sizesChart(s *Series) template.HTML {
	const w, h, pad, left = 720.0, 120.0, 16.0, 36.0
	var periods []Period
	for _, p := range s.Periods {
		if len(p.Segments) > 0 {
			periods = append(periods, p)
		}
	}
	var most int64 = 1
	for _, p := range periods {
		for _, x := range p.Segments {
			most = max(most, x.Count)
		}
	}
	step := tickStep(most)
	top := (most + step - 1) / step * step
	y := func(v int64) float64 { return pad/2 + h - float64(v)/float64(top)*h }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="members in each segment by %s">`, w, h+pad*3+4, template.HTMLEscapeString(s.By))
	for v := int64(0); v <= top; v += step {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#dde2ea"/><text x="%.0f" y="%.1f" text-anchor="end" dominant-baseline="middle">%d</text>`,
			left, w, y(v), y(v), left-4, y(v), v)
	}
	pw := (w - left) / float64(max(1, len(periods)))
	for i, x := range periods[0].Segments {
		color := segmentColors[i%len(segmentColors)]
		name := template.HTMLEscapeString(x.Name)
		fmt.Fprintf(&b, `<polyline fill="none" stroke-width="2" stroke="%s" points="`, color)
		for j, p := range periods {
			fmt.Fprintf(&b, "%.1f,%.1f ", left+(float64(j)+0.5)*pw, y(p.Segments[i].Count))
		}
		fmt.Fprintf(&b, `"><title>%s</title></polyline>`, name)
		for j, p := range periods {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s %s: %d</title></circle>`,
				left+(float64(j)+0.5)*pw, y(p.Segments[i].Count), color, name, template.HTMLEscapeString(p.Start), p.Segments[i].Count)
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`,
			left+float64(i)*110, h+pad*3-10, color, left+float64(i)*110+14, h+pad*3-1, name)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text><text x="%.0f" y="%.0f" text-anchor="end">%s</text>`,
		left, h+pad+4, template.HTMLEscapeString(periods[0].Start), w, h+pad+4, template.HTMLEscapeString(periods[len(periods)-1].Start))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
