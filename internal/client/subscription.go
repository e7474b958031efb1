package client

import (
	"strings"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// SubAll is the subscription expression that matches every message.
const SubAll = protocol.SubAll

// newTagSubscription parses a tag expression: "", "*" match everything;
// otherwise tags separated by "||", trimmed, empty ones skipped
// (FilterAPI.buildSubscriptionData). CodeSet holds Java String.hashCode
// values, as the Java client sends them.
func newTagSubscription(topic, expr string, version int64) protocol.SubscriptionData {
	sd := protocol.SubscriptionData{
		Topic:          topic,
		SubString:      strings.TrimSpace(expr),
		SubVersion:     version,
		ExpressionType: protocol.ExpressionTag,
		TagsSet:        []string{},
		CodeSet:        protocol.CodeSet{},
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

// matchTag is the client-side re-filter of pulled messages: the broker
// filters by tag hash code only, so colliding tags are dropped here by
// comparing the strings, as both reference clients do.
func matchTag(sd *protocol.SubscriptionData, tag string) bool {
	if sd.SubString == SubAll || sd.SubString == "" {
		return true
	}
	for _, t := range sd.TagsSet {
		if t == tag {
			return true
		}
	}
	return false
}
