package message

import (
	"bytes"
	"slices"
	"strings"
)

// Properties string (MessageDecoder.messageProperties2String and
// string2messageProperties):
//
//	name1 0x01 value1 0x02 name2 0x01 value2 [0x02]
//
// We write Java's form (no trailing 0x02, keys in sorted order so output is
// deterministic) and accept both Java's and the Go client's (trailing 0x02).
const (
	NameValueSeparator = '\x01'
	PropertySeparator  = '\x02'
)

// MaxPropertiesLength is the largest properties string a record can carry
// (its length is a signed int16).
const MaxPropertiesLength = 32767

// EncodeProperties writes props as a properties string. Empty values are
// skipped, as Java skips nulls and its reader drops empty values anyway.
func EncodeProperties(props map[string]string) string {
	if len(props) == 0 {
		return ""
	}
	var sb strings.Builder
	n := 0
	for k, v := range props {
		n += len(k) + len(v) + 2
	}
	sb.Grow(n)
	var buf [16]string
	keys := buf[:0]
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := props[k]
		if v == "" {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte(PropertySeparator)
		}
		sb.WriteString(k)
		sb.WriteByte(NameValueSeparator)
		sb.WriteString(v)
	}
	return sb.String()
}

// DecodeProperties parses a properties string. Items without a
// separator, with an empty name or an empty value are dropped, as Java's
// reader does. It cannot fail; any byte string gives some map.
func DecodeProperties(s string) map[string]string {
	props := make(map[string]string)
	for len(s) > 0 {
		item := s
		if i := strings.IndexByte(s, PropertySeparator); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		i := strings.IndexByte(item, NameValueSeparator)
		if i <= 0 || i == len(item)-1 {
			continue
		}
		props[item[:i]] = item[i+1:]
	}
	return props
}

// PropertyFromString finds one key in a properties string without
// building the map; ok is false when absent.
func PropertyFromString(s, key string) (value string, ok bool) {
	for len(s) > 0 {
		item := s
		if i := strings.IndexByte(s, PropertySeparator); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if len(item) > len(key) && item[len(key)] == NameValueSeparator && item[:len(key)] == key {
			v := item[len(key)+1:]
			if v != "" {
				return v, true
			}
		}
	}
	return "", false
}

// PropertyFromBytes is PropertyFromString over bytes; the value aliases s.
func PropertyFromBytes(s []byte, key string) (value []byte, ok bool) {
	for len(s) > 0 {
		item := s
		if i := bytes.IndexByte(s, PropertySeparator); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = nil
		}
		if len(item) > len(key) && item[len(key)] == NameValueSeparator && string(item[:len(key)]) == key {
			if v := item[len(key)+1:]; len(v) > 0 {
				return v, true
			}
		}
	}
	return nil, false
}
