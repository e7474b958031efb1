package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.uber.org/zap"
)

// The broker's JSON tables live in <storePathRootDir>/config/ (storage-ha-config.md
// §1.8, ConfigManager.java, MixAll.string2File):
//
//	write:  <name>.tmp  ->  copy <name> to <name>.bak  ->  delete <name>  ->  rename .tmp to <name>
//	load:   <name>, or <name>.bak when <name> is missing, empty or unparsable;
//	        both missing or empty: start empty; .bak unparsable: fail.
//
// Files are written as fastjson's pretty format: members one per line,
// tab-indented, no space after the colon.

const (
	topicsFileName         = "topics.json"
	subscriptionGroupFile  = "subscriptionGroup.json"
	consumerOffsetFileName = "consumerOffset.json"
)

// writeConfigFile replaces path with data following string2File's steps.
// Unlike Java it syncs the new file before the rename.
func writeConfigFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := os.WriteFile(path+".bak", old, 0o644); err != nil {
			return fmt.Errorf("write %s.bak: %w", path, err)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("replace %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

// loadConfigFile reads path (or its .bak) and hands the text to decode.
// It reports whether anything was loaded. An unparsable main file is
// logged before the .bak is tried.
func loadConfigFile(path string, decode func([]byte) error, lg *zap.Logger) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("load %s: %w", path, err)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		err := decode(data)
		if err == nil {
			return true, nil
		}
		lg.Warn("config file unreadable, loading its .bak", zap.String("file", path), zap.Error(err))
	}
	bak := path + ".bak"
	data, err = os.ReadFile(bak)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("load %s: %w", bak, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return false, nil
	}
	if err := decode(data); err != nil {
		return false, fmt.Errorf("load %s: %w", bak, err)
	}
	return true, nil
}

// prettyJSON re-indents compact JSON (or fastjson's bare-key dialect) the
// way fastjson's PrettyFormat writes it: one member or element per line,
// tabs, no space after ':'. Empty objects and arrays stay "{}" and "[]".
func prettyJSON(compact []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(compact) + len(compact)/4)
	depth := 0
	inString := false
	newline := func() {
		out.WriteByte('\n')
		for range depth {
			out.WriteByte('\t')
		}
	}
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if inString {
			out.WriteByte(c)
			switch c {
			case '\\':
				if i+1 < len(compact) {
					i++
					out.WriteByte(compact[i])
				}
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			out.WriteByte(c)
		case '{', '[':
			out.WriteByte(c)
			if i+1 < len(compact) && (compact[i+1] == '}' || compact[i+1] == ']') {
				i++
				out.WriteByte(compact[i])
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			out.WriteByte(c)
		case ',':
			out.WriteByte(c)
			newline()
		case ' ', '\t', '\n', '\r':
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}

// quoteBareKeys turns fastjson's bare numeric object keys ({0:12}) into
// standard JSON ({"0":12}) so encoding/json can read consumerOffset.json
// and the GET_ALL_CONSUMER_OFFSET body. Quoted keys pass unchanged.
func quoteBareKeys(in []byte) []byte {
	out := make([]byte, 0, len(in)+16)
	var stack []byte // open brackets
	inString := false
	expectKey := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		if inString {
			out = append(out, c)
			switch c {
			case '\\':
				if i+1 < len(in) {
					i++
					out = append(out, in[i])
				}
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
			expectKey = false
			out = append(out, c)
		case c == '{' || c == '[':
			stack = append(stack, c)
			expectKey = c == '{'
			out = append(out, c)
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
			out = append(out, c)
		case c == ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
			out = append(out, c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			out = append(out, c)
		case expectKey && (c == '-' || (c >= '0' && c <= '9')):
			j := i
			for j < len(in) && (in[j] == '-' || (in[j] >= '0' && in[j] <= '9')) {
				j++
			}
			out = append(out, '"')
			out = append(out, in[i:j]...)
			out = append(out, '"')
			i = j - 1
			expectKey = false
		default:
			expectKey = false
			out = append(out, c)
		}
	}
	return out
}

// decodeLenientJSON decodes fastjson text (bare numeric keys allowed).
func decodeLenientJSON(data []byte, v any) error {
	return json.Unmarshal(quoteBareKeys(data), v)
}
