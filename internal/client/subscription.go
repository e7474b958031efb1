package client

import (
	"strings"

	"github.com/gorocket/gorocket/internal/message"
)

// SubAll is the subscription expression that matches every message.
const SubAll = "*"

// Expression types of a subscription (ExpressionType.java).
const (
	ExprTag   = "TAG"
	ExprSQL92 = "SQL92"
)

// SubscriptionData is one topic subscription as heartbeats carry it
// (SubscriptionData.java; wire-protocol.md §8.1). CodeSet holds Java
// String.hashCode values of the tags.
type SubscriptionData struct {
	ClassFilterMode bool     `json:"classFilterMode"`
	CodeSet         []int32  `json:"codeSet"`
	ExpressionType  string   `json:"expressionType"`
	SubString       string   `json:"subString"`
	SubVersion      int64    `json:"subVersion"`
	TagsSet         []string `json:"tagsSet"`
	Topic           string   `json:"topic"`
}

// newTagSubscription parses a tag expression: "", "*" match everything;
// otherwise tags separated by "||", trimmed, empty ones skipped
// (FilterAPI.buildSubscriptionData).
func newTagSubscription(topic, expr string, version int64) SubscriptionData {
	sd := SubscriptionData{
		Topic:          topic,
		SubString:      strings.TrimSpace(expr),
		SubVersion:     version,
		ExpressionType: ExprTag,
		TagsSet:        []string{},
		CodeSet:        []int32{},
	}
	if sd.SubString == "" || sd.SubString == SubAll {
		sd.SubString = SubAll
		return sd
	}
	for _, t := range strings.Split(sd.SubString, "||") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		sd.TagsSet = append(sd.TagsSet, t)
		sd.CodeSet = append(sd.CodeSet, message.JavaStringHash(t))
	}
	return sd
}

// matchAll reports whether the subscription takes every message.
func (s *SubscriptionData) matchAll() bool {
	return s.SubString == SubAll || s.SubString == ""
}

// matchTag is the client-side re-filter of pulled messages: the broker
// filters by tag hash code only, so colliding tags are dropped here by
// comparing the strings, as both reference clients do.
func (s *SubscriptionData) matchTag(tag string) bool {
	if s.matchAll() {
		return true
	}
	for _, t := range s.TagsSet {
		if t == tag {
			return true
		}
	}
	return false
}
