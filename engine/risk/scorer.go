// Package risk watches communities as a whole: it keeps each community's
// figures (messages, flagged and negative messages, reports, joins and
// leaves, active members) incrementally, event by event, in rolling
// windows; it scores message sentiment with a pluggable Scorer; and it
// decides when an alert fires, with deduplication and a cool-down.
package risk

import (
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/governance"
)

// Scorer scores the sentiment of a message: below zero is negative.
// The built-in one counts words from lists; another (a model behind an
// API, say) can be given to the runtime instead.
type Scorer interface {
	Score(text string) float64
}

// LexiconScorer scores a text as positive phrases found minus negative
// ones, with per-locale lists matched like moderation keywords.
type LexiconScorer struct {
	negative, positive *governance.Lexicon
}

// Built-in lists: common, unambiguous words of complaint and praise.
var (
	builtinNegative = map[string][]string{
		"en": {"hate", "terrible", "awful", "worst", "scam", "broken", "angry", "disappointed", "disappointing",
			"useless", "refund", "garbage", "toxic", "ridiculous", "unacceptable", "annoying", "sucks", "horrible",
			"waste of time", "fed up", "i'm leaving", "i quit", "unsubscribe", "rip-off", "rip off"},
		"zh-CN": {"垃圾", "骗子", "骗人", "退款", "失望", "生气", "太差", "差评", "恶心", "无语", "退群", "崩溃",
			"愤怒", "投诉", "坑人", "受够了", "离谱", "卸载"},
	}
	builtinPositive = map[string][]string{
		"en": {"love", "great", "thanks", "thank you", "awesome", "helpful", "amazing", "excellent", "glad",
			"happy", "well done", "appreciate"},
		"zh-CN": {"谢谢", "感谢", "很棒", "喜欢", "厉害", "优秀", "开心", "点赞", "好用", "支持"},
	}
)

// NewLexiconScorer builds the scorer for a configuration's sentiment
// block; nil means the built-in lists alone.
func NewLexiconScorer(s *config.Sentiment) *LexiconScorer {
	neg, pos := map[string][]string{}, map[string][]string{}
	if s == nil || s.Builtin {
		merge(neg, builtinNegative)
		merge(pos, builtinPositive)
	}
	if s != nil {
		merge(neg, s.Negative)
		merge(pos, s.Positive)
	}
	return &LexiconScorer{negative: governance.NewLexicon(neg), positive: governance.NewLexicon(pos)}
}

func merge(into, from map[string][]string) {
	for loc, words := range from {
		into[loc] = append(into[loc], words...)
	}
}

// Score is positive phrases minus negative phrases found in text.
func (l *LexiconScorer) Score(text string) float64 {
	return float64(len(l.positive.Find(text)) - len(l.negative.Find(text)))
}
