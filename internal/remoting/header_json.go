package remoting

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON header, written the way fastjson writes RemotingCommand
// (RemotingSerializable.java): members in alphabetical order, no
// whitespace, remark and extFields omitted when empty, extFields values
// always strings:
//
//	{"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":7,
//	 "remark":"...","serializeTypeCurrentRPC":"JSON","version":409}
//
// extFields entries are written in key order so equal commands encode to
// equal bytes. The reader accepts members in any order, ignores unknown
// members, and takes null or absent remark and extFields.
func appendHeaderJSON(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(c.Code), 10)
	if len(c.ExtFields) > 0 {
		dst = append(dst, `,"extFields":{`...)
		var kb [16]string
		for i, k := range sortedKeys(kb[:0], c.ExtFields) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, c.ExtFields[k])
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(c.Flag), 10)
	dst = append(dst, `,"language":`...)
	lang := c.Language
	if lang == "" {
		lang = LanguageJava
	}
	dst = appendJSONString(dst, lang)
	dst = append(dst, `,"opaque":`...)
	dst = strconv.AppendInt(dst, int64(c.Opaque), 10)
	if c.Remark != "" {
		dst = append(dst, `,"remark":`...)
		dst = appendJSONString(dst, c.Remark)
	}
	dst = append(dst, `,"serializeTypeCurrentRPC":"`...)
	dst = append(dst, c.SerializeType.String()...)
	dst = append(dst, `","version":`...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as fastjson does: '"' and '\' escaped,
// control characters as short escapes or \u00XX, everything else raw.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 0x20 && ch != '"' && ch != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch ch {
		case '"', '\\':
			dst = append(dst, '\\', ch)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[ch>>4], hexDigits[ch&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// maxJSONDepth bounds the nesting of unknown members the reader skips.
const maxJSONDepth = 64

type jsonReader struct {
	b       []byte
	i       int
	scratch []byte
}

// decodeHeaderJSON fills c from the JSON header b.
// An absent or null language is JAVA, RemotingCommand's default.
func decodeHeaderJSON(b []byte, c *Command) error {
	r := jsonReader{b: b}
	c.Language = LanguageJava
	r.skipWS()
	if !r.consume('{') {
		return r.errorf("header does not start with an object")
	}
	r.skipWS()
	if r.consume('}') {
		return r.end()
	}
	for {
		r.skipWS()
		name, err := r.readStringBytes()
		if err != nil {
			return err
		}
		r.skipWS()
		if !r.consume(':') {
			return r.errorf("missing ':' after member name")
		}
		r.skipWS()
		switch string(name) {
		case "code":
			c.Code, err = r.readInt32("code")
		case "version":
			c.Version, err = r.readInt32("version")
		case "opaque":
			c.Opaque, err = r.readInt32("opaque")
		case "flag":
			c.Flag, err = r.readInt32("flag")
		case "language":
			c.Language, err = r.readNullableString("language")
			if c.Language == "" {
				c.Language = LanguageJava
			}
		case "remark":
			c.Remark, err = r.readNullableString("remark")
		case "extFields":
			err = r.readExtFields(c)
		default:
			err = r.skipValue(0)
		}
		if err != nil {
			return err
		}
		r.skipWS()
		if r.consume(',') {
			continue
		}
		if r.consume('}') {
			return r.end()
		}
		return r.errorf("expected ',' or '}' after a member")
	}
}

func (r *jsonReader) errorf(format string, args ...any) error {
	return badFrame("JSON header at byte %d: %s", r.i, fmt.Sprintf(format, args...))
}

func (r *jsonReader) end() error {
	r.skipWS()
	if r.i != len(r.b) {
		return r.errorf("trailing bytes after the header object")
	}
	return nil
}

func (r *jsonReader) skipWS() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) consume(ch byte) bool {
	if r.i < len(r.b) && r.b[r.i] == ch {
		r.i++
		return true
	}
	return false
}

func (r *jsonReader) consumeLiteral(lit string) bool {
	if len(r.b)-r.i >= len(lit) && string(r.b[r.i:r.i+len(lit)]) == lit {
		r.i += len(lit)
		return true
	}
	return false
}

// readStringBytes reads a JSON string. The result aliases the input when
// the string has no escapes, else the reader's scratch buffer; it is valid
// until the next read.
func (r *jsonReader) readStringBytes() ([]byte, error) {
	if !r.consume('"') {
		return nil, r.errorf("expected a string")
	}
	start := r.i
	for r.i < len(r.b) {
		ch := r.b[r.i]
		if ch == '"' {
			s := r.b[start:r.i]
			r.i++
			return s, nil
		}
		if ch == '\\' {
			return r.readEscaped(start)
		}
		r.i++
	}
	return nil, r.errorf("unterminated string")
}

func (r *jsonReader) readEscaped(start int) ([]byte, error) {
	out := append(r.scratch[:0], r.b[start:r.i]...)
	for r.i < len(r.b) {
		ch := r.b[r.i]
		switch {
		case ch == '"':
			r.i++
			r.scratch = out
			return out, nil
		case ch != '\\':
			out = append(out, ch)
			r.i++
			continue
		}
		r.i++
		if r.i >= len(r.b) {
			break
		}
		esc := r.b[r.i]
		r.i++
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			cp, ok := r.readHex4()
			if !ok {
				return nil, r.errorf("bad \\u escape")
			}
			ru := rune(cp)
			if utf16.IsSurrogate(ru) {
				ru = utf8.RuneError
				if len(r.b)-r.i >= 6 && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
					save := r.i
					r.i += 2
					lo, ok := r.readHex4()
					if ok {
						if dec := utf16.DecodeRune(rune(cp), rune(lo)); dec != utf8.RuneError {
							ru = dec
						} else {
							r.i = save
						}
					} else {
						r.i = save
					}
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			return nil, r.errorf("bad escape \\%c", esc)
		}
	}
	return nil, r.errorf("unterminated string")
}

func (r *jsonReader) readHex4() (uint16, bool) {
	if len(r.b)-r.i < 4 {
		return 0, false
	}
	var v uint16
	for _, ch := range r.b[r.i : r.i+4] {
		v <<= 4
		switch {
		case ch >= '0' && ch <= '9':
			v |= uint16(ch - '0')
		case ch >= 'a' && ch <= 'f':
			v |= uint16(ch-'a') + 10
		case ch >= 'A' && ch <= 'F':
			v |= uint16(ch-'A') + 10
		default:
			return 0, false
		}
	}
	r.i += 4
	return v, true
}

// readNumberBytes reads the text of a JSON number.
func (r *jsonReader) readNumberBytes() []byte {
	start := r.i
	for r.i < len(r.b) {
		ch := r.b[r.i]
		if (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E' {
			r.i++
			continue
		}
		break
	}
	return r.b[start:r.i]
}

// readInt32 reads an integer member; null leaves zero, and a quoted integer
// is accepted as fastjson does.
func (r *jsonReader) readInt32(member string) (int32, error) {
	if r.consumeLiteral("null") {
		return 0, nil
	}
	var text []byte
	if r.i < len(r.b) && r.b[r.i] == '"' {
		s, err := r.readStringBytes()
		if err != nil {
			return 0, err
		}
		text = s
	} else {
		text = r.readNumberBytes()
	}
	v, err := strconv.ParseInt(string(text), 10, 32)
	if err != nil {
		return 0, r.errorf("member %s is not an int32: %q", member, text)
	}
	return int32(v), nil
}

func (r *jsonReader) readNullableString(member string) (string, error) {
	if r.consumeLiteral("null") {
		return "", nil
	}
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return "", r.errorf("member %s is not a string", member)
	}
	s, err := r.readStringBytes()
	if err != nil {
		return "", err
	}
	return internString(s), nil
}

// internString avoids an allocation for the usual language names.
func internString(s []byte) string {
	switch string(s) {
	case "JAVA":
		return "JAVA"
	case "GO":
		return "GO"
	case "":
		return ""
	}
	return string(s)
}

func (r *jsonReader) readExtFields(c *Command) error {
	if r.consumeLiteral("null") {
		c.ExtFields = nil
		return nil
	}
	if !r.consume('{') {
		return r.errorf("member extFields is not an object")
	}
	// Commas left in the header bound the entries (plus a few members).
	ext := make(map[string]string, min(bytes.Count(r.b[r.i:], []byte{','})+1, 64))
	c.ExtFields = ext
	r.skipWS()
	if r.consume('}') {
		return nil
	}
	for {
		r.skipWS()
		kb, err := r.readStringBytes()
		if err != nil {
			return err
		}
		k := string(kb)
		r.skipWS()
		if !r.consume(':') {
			return r.errorf("missing ':' after extFields key")
		}
		r.skipWS()
		if r.i >= len(r.b) {
			return r.errorf("truncated extFields")
		}
		switch ch := r.b[r.i]; {
		case ch == '"':
			vb, err := r.readStringBytes()
			if err != nil {
				return err
			}
			ext[k] = string(vb)
		case r.consumeLiteral("null"):
			delete(ext, k)
		case r.consumeLiteral("true"):
			ext[k] = "true"
		case r.consumeLiteral("false"):
			ext[k] = "false"
		case ch == '-' || (ch >= '0' && ch <= '9'):
			ext[k] = string(r.readNumberBytes())
		default:
			return r.errorf("extFields value of %q is not a string", k)
		}
		r.skipWS()
		if r.consume(',') {
			continue
		}
		if r.consume('}') {
			return nil
		}
		return r.errorf("expected ',' or '}' in extFields")
	}
}

// skipValue skips any JSON value, nesting at most maxJSONDepth deep.
func (r *jsonReader) skipValue(depth int) error {
	if depth > maxJSONDepth {
		return r.errorf("nesting deeper than %d", maxJSONDepth)
	}
	if r.i >= len(r.b) {
		return r.errorf("missing value")
	}
	switch ch := r.b[r.i]; {
	case ch == '"':
		_, err := r.readStringBytes()
		return err
	case ch == '{' || ch == '[':
		closer := byte('}')
		if ch == '[' {
			closer = ']'
		}
		r.i++
		r.skipWS()
		if r.consume(closer) {
			return nil
		}
		for {
			r.skipWS()
			if ch == '{' {
				if _, err := r.readStringBytes(); err != nil {
					return err
				}
				r.skipWS()
				if !r.consume(':') {
					return r.errorf("missing ':' after member name")
				}
				r.skipWS()
			}
			if err := r.skipValue(depth + 1); err != nil {
				return err
			}
			r.skipWS()
			if r.consume(',') {
				continue
			}
			if r.consume(closer) {
				return nil
			}
			return r.errorf("expected ',' or %q", closer)
		}
	case r.consumeLiteral("null"), r.consumeLiteral("true"), r.consumeLiteral("false"):
		return nil
	case ch == '-' || (ch >= '0' && ch <= '9'):
		num := r.readNumberBytes()
		if _, err := strconv.ParseFloat(string(num), 64); err != nil && !isRangeErr(err) {
			return r.errorf("bad number %q", num)
		}
		return nil
	default:
		return r.errorf("unexpected byte %q", ch)
	}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
