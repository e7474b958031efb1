package message

import (
	"unicode/utf16"
	"unicode/utf8"
)

// TagsHashCode is the consume-queue tag code of a TAGS value: Java's
// String.hashCode (h = 31*h + c over UTF-16 code units, int32 wrap-around),
// sign-extended; 0 for no tag (MessageExtBrokerInner.tagsString2tagsCode).
func TagsHashCode(tags string) int64 {
	if tags == "" {
		return 0
	}
	return int64(JavaStringHash(tags))
}

// JavaStringHash is java.lang.String.hashCode of s.
func JavaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r < 0x10000 {
			h = 31*h + int32(r)
			continue
		}
		r1, r2 := utf16.EncodeRune(r)
		h = 31*h + int32(r1)
		h = 31*h + int32(r2)
	}
	return h
}

// TagsHashCodeBytes is TagsHashCode of UTF-8 bytes, without a string.
func TagsHashCodeBytes(tags []byte) int64 {
	var h int32
	for len(tags) > 0 {
		r, n := utf8.DecodeRune(tags)
		tags = tags[n:]
		if r < 0x10000 {
			h = 31*h + int32(r)
			continue
		}
		r1, r2 := utf16.EncodeRune(r)
		h = 31*h + int32(r1)
		h = 31*h + int32(r2)
	}
	return int64(h)
}
