package client

import (
	"encoding/json"
	"errors"
	"fmt"
)

// normalizeJSON rewrites fastjson's non-standard object keys into JSON
// strings so encoding/json can read the text. fastjson writes Long and
// Integer map keys bare ({0:"a"}) and MessageQueue keys as objects
// ({{"brokerName":"b","queueId":0,"topic":"t"}:5}); see wire-protocol.md
// §11.2. Each such key becomes a string holding its raw text
// ("0", "{\"brokerName\":...}"). Standard JSON passes through unchanged.
// The result is not validated beyond bracket balance; decode it with
// encoding/json.
func normalizeJSON(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)+16)
	var stack []byte
	expectKey := false
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			out = append(out, c)
			i++
		case c == '"':
			j, err := skipJSONString(in, i)
			if err != nil {
				return nil, err
			}
			out = append(out, in[i:j]...)
			i = j
			expectKey = false
		case c == '{' && !expectKey:
			stack = append(stack, '{')
			out = append(out, c)
			i++
			expectKey = true
		case c == '[':
			if expectKey {
				goto rawKey
			}
			stack = append(stack, '[')
			out = append(out, c)
			i++
		case c == '}' || c == ']':
			want := byte('{')
			if c == ']' {
				want = '['
			}
			if len(stack) == 0 || stack[len(stack)-1] != want {
				return nil, fmt.Errorf("json: unbalanced %q at offset %d", c, i)
			}
			stack = stack[:len(stack)-1]
			out = append(out, c)
			i++
			expectKey = false
		case c == ',':
			out = append(out, c)
			i++
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		default:
			if expectKey {
				goto rawKey
			}
			out = append(out, c)
			i++
		}
		continue
	rawKey:
		{
			j, err := skipRawKey(in, i)
			if err != nil {
				return nil, err
			}
			q, _ := json.Marshal(string(in[i:j]))
			out = append(out, q...)
			i = j
			expectKey = false
		}
	}
	if len(stack) != 0 {
		return nil, errors.New("json: unexpected end of input")
	}
	return out, nil
}

// skipJSONString returns the index just past the string starting at in[i].
func skipJSONString(in []byte, i int) (int, error) {
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("json: unterminated string at offset %d", i)
}

// skipRawKey returns the end of a bare key starting at in[i]: a balanced
// object or array, or a run of characters up to ':' or white space.
func skipRawKey(in []byte, i int) (int, error) {
	if in[i] != '{' && in[i] != '[' {
		j := i
		for j < len(in) && in[j] != ':' && in[j] != ' ' && in[j] != '\t' && in[j] != '\n' && in[j] != '\r' {
			if in[j] == '{' || in[j] == '}' || in[j] == '[' || in[j] == ']' || in[j] == ',' || in[j] == '"' {
				return 0, fmt.Errorf("json: bad key at offset %d", i)
			}
			j++
		}
		if j == len(in) {
			return 0, fmt.Errorf("json: unterminated key at offset %d", i)
		}
		return j, nil
	}
	depth := 0
	for j := i; j < len(in); j++ {
		switch in[j] {
		case '"':
			k, err := skipJSONString(in, j)
			if err != nil {
				return 0, err
			}
			j = k - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("json: unterminated key at offset %d", i)
}

// decodeJSON decodes fastjson text (bare or object keys allowed) into v.
func decodeJSON(data []byte, v any) error {
	norm, err := normalizeJSON(data)
	if err != nil {
		return err
	}
	return json.Unmarshal(norm, v)
}
