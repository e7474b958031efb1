package config

import (
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magiconair/properties"
)

// EnvHome is the environment variable naming the install root
// (MixAll.ROCKETMQ_HOME_ENV); the JVM property rocketmq.home.dir, given as
// the key rocketmqHome, takes precedence.
const EnvHome = "ROCKETMQ_HOME"

// EnvNamesrvAddr is the environment variable giving the default name server
// list (MixAll.NAMESRV_ADDR_ENV).
const EnvNamesrvAddr = "NAMESRV_ADDR"

// KeyNamesrvAddr is the properties key that -n sets.
const KeyNamesrvAddr = "namesrvAddr"

// Properties is a set of key=value settings: a loaded .properties file plus
// command-line overrides. It remembers which keys a Decode consumed, so the
// caller can warn about the rest. Not safe for concurrent use.
type Properties struct {
	keys   []string // insertion order
	values map[string]string
	used   map[string]bool
	source map[string]string // key -> where it came from, for messages
}

// New returns an empty set.
func New() *Properties {
	return &Properties{values: map[string]string{}, used: map[string]bool{}, source: map[string]string{}}
}

// Load reads a .properties file with java.util.Properties syntax: `=`, `:`
// or whitespace separators, `#`/`!` comments, `\` continuations and \uXXXX
// escapes, last duplicate wins, and no ${...} expansion (Java does none).
// The file is read as UTF-8.
func Load(path string) (*Properties, error) {
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	mp, err := l.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load properties %s: %w", path, err)
	}
	p := New()
	for _, k := range mp.Keys() {
		v, _ := mp.Get(k)
		p.setFrom(k, v, path)
	}
	return p, nil
}

// Parse reads properties text, as Load does for a file; source names the
// text in error messages.
func Parse(text, source string) (*Properties, error) {
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	mp, err := l.LoadBytes([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("parse properties %s: %w", source, err)
	}
	p := New()
	for _, k := range mp.Keys() {
		v, _ := mp.Get(k)
		p.setFrom(k, v, source)
	}
	return p, nil
}

// Set sets key to value, overriding any earlier value.
func (p *Properties) Set(key, value string) { p.setFrom(key, value, "") }

func (p *Properties) setFrom(key, value, source string) {
	if _, ok := p.values[key]; !ok {
		p.keys = append(p.keys, key)
	}
	p.values[key] = value
	p.source[key] = source
}

// Get returns the value of key.
func (p *Properties) Get(key string) (string, bool) {
	v, ok := p.values[key]
	return v, ok
}

// Delete removes key.
func (p *Properties) Delete(key string) {
	if _, ok := p.values[key]; !ok {
		return
	}
	delete(p.values, key)
	delete(p.used, key)
	delete(p.source, key)
	for i, k := range p.keys {
		if k == key {
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
			break
		}
	}
}

// Keys returns the keys in the order they were first set.
func (p *Properties) Keys() []string { return append([]string(nil), p.keys...) }

// Merge sets every key of o on p (o wins).
func (p *Properties) Merge(o *Properties) {
	for _, k := range o.keys {
		p.setFrom(k, o.values[k], o.source[k])
	}
}

// ApplyArgs applies command-line settings: each arg is "key=value" or Java's
// "-Dkey=value". An arg of another shape is an error naming it.
func (p *Properties) ApplyArgs(args []string) error {
	for _, a := range args {
		s := strings.TrimPrefix(a, "-D")
		k, v, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("setting %q: want key=value", a)
		}
		p.setFrom(strings.TrimSpace(k), v, "command line")
	}
	return nil
}

// ApplyNamesrvAddr sets namesrvAddr from -n when addr is not empty, else
// from $NAMESRV_ADDR when the key is not set yet (MixAll.NAMESRV_ADDR_ENV).
func (p *Properties) ApplyNamesrvAddr(addr string) {
	if addr != "" {
		p.setFrom(KeyNamesrvAddr, addr, "-n")
		return
	}
	if _, ok := p.values[KeyNamesrvAddr]; !ok {
		if env := os.Getenv(EnvNamesrvAddr); env != "" {
			p.setFrom(KeyNamesrvAddr, env, "$"+EnvNamesrvAddr)
		}
	}
}

// Alias renames a legacy or misspelt key to the key it stands for, when the
// current key is not also set. It reports whether it renamed, so the caller
// can warn: p.Alias("mapedFileSizeCommitLog", "mappedFileSizeCommitLog").
func (p *Properties) Alias(old, current string) bool {
	v, ok := p.values[old]
	if !ok {
		return false
	}
	if _, dup := p.values[current]; dup {
		return false
	}
	src := p.source[old]
	p.Delete(old)
	p.setFrom(current, v, src)
	return true
}

// Unused returns the keys no Decode consumed, sorted.
func (p *Properties) Unused() []string {
	var out []string
	for _, k := range p.keys {
		if !p.used[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// KeyError names the key whose value could not be used.
type KeyError struct {
	Key    string
	Value  string
	Source string // file path, "command line", "-n" or "default"
	Err    error
}

func (e *KeyError) Error() string {
	src := ""
	if e.Source != "" {
		src = " (from " + e.Source + ")"
	}
	return fmt.Sprintf("config key %s=%q%s: %v", e.Key, e.Value, src, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// Decode fills the tagged fields of the struct cfg points to. A field is
// tagged `properties:"key,default=value"` or `properties:"key,env=VAR,default=value"`:
// the key's value wins, else the environment variable when set and not
// empty, else the default. A field without a default is mandatory. Untagged
// fields and `properties:"-"` are left alone. Defaults may use ${user.home}
// and ${rocketmq.home} (values from files are never expanded, as in Java).
//
// Supported kinds: string, bool (true/false, any case), signed and unsigned
// integers (decimal), float64, time.Duration (Go syntax), and any type
// implementing encoding.TextUnmarshaler (enums such as flushDiskType).
// Consumed keys are marked used. The first bad value is returned as a
// *KeyError.
func Decode(p *Properties, cfg any) error {
	rv := reflect.ValueOf(cfg)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: Decode wants a pointer to a struct, got %T", cfg)
	}
	v := rv.Elem()
	for _, f := range fieldsOf(v.Type()) {
		raw, src, ok := p.lookup(f)
		if !ok {
			return &KeyError{Key: f.key, Source: "default", Err: errors.New("is mandatory and not set")}
		}
		if err := setField(v.FieldByIndex(f.index), raw); err != nil {
			return &KeyError{Key: f.key, Value: raw, Source: src, Err: err}
		}
	}
	return nil
}

func (p *Properties) lookup(f field) (raw, source string, ok bool) {
	if raw, ok := p.values[f.key]; ok {
		p.used[f.key] = true
		return raw, p.source[f.key], true
	}
	if f.env != "" {
		if e := os.Getenv(f.env); e != "" {
			return e, "$" + f.env, true
		}
	}
	if f.hasDef {
		return expandDefault(f.def), "default", true
	}
	return "", "", false
}

// expandDefault replaces ${user.home} and ${rocketmq.home} in a default.
func expandDefault(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	home, _ := os.UserHomeDir()
	return strings.NewReplacer("${user.home}", home, "${rocketmq.home}", os.Getenv(EnvHome)).Replace(s)
}

// UserHome returns $HOME (Java's user.home), or "." when unknown.
func UserHome() string {
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return h
	}
	return "."
}

type field struct {
	key    string
	env    string
	def    string
	hasDef bool
	index  []int
}

func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("properties")
		if !ok || tag == "-" || !sf.IsExported() {
			continue
		}
		f := field{index: sf.Index}
		key, rest, _ := strings.Cut(tag, ",")
		f.key = key
		// default= swallows the rest of the tag, so defaults may contain commas.
		for rest != "" {
			if d, ok := strings.CutPrefix(rest, "default="); ok {
				f.def, f.hasDef = d, true
				break
			}
			var opt string
			opt, rest, _ = strings.Cut(rest, ",")
			if e, ok := strings.CutPrefix(opt, "env="); ok {
				f.env = e
			}
		}
		out = append(out, f)
	}
	return out
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
)

func setField(fv reflect.Value, raw string) error {
	if fv.CanAddr() && fv.Addr().Type().Implements(textUnmarshaler) {
		return fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(raw))
	}
	if fv.Type() == durationType {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("not a duration")
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Bool:
		switch strings.ToLower(raw) {
		case "true":
			fv.SetBool(true)
		case "false":
			fv.SetBool(false)
		default:
			return errors.New("not a boolean (want true or false)")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("not a %d-bit integer", fv.Type().Bits())
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(raw, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("not an unsigned %d-bit integer", fv.Type().Bits())
		}
		fv.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(raw, fv.Type().Bits())
		if err != nil {
			return errors.New("not a number")
		}
		fv.SetFloat(n)
	default:
		return fmt.Errorf("unsupported field type %s", fv.Type())
	}
	return nil
}

// KnownKeys returns every key the given configs (pointers to structs)
// accept, in field order.
func KnownKeys(cfgs ...any) []string {
	var out []string
	for _, c := range cfgs {
		t := reflect.TypeOf(c)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for _, f := range fieldsOf(t) {
			out = append(out, f.key)
		}
	}
	return out
}

// Suggest returns the known key an unknown one was probably meant to be:
// the same key in another case (brokerIp1 for brokerIP1), or one at edit
// distance at most 2; "" when nothing is close.
func Suggest(unknown string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, unknown) {
			return k
		}
		if d := editDistance(strings.ToLower(unknown), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Values returns every tagged field of the configs as key → value text, in
// field order, as Print writes them.
func Values(cfgs ...any) (keys []string, values map[string]string) {
	values = map[string]string{}
	for _, c := range cfgs {
		v := reflect.ValueOf(c)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		for _, f := range fieldsOf(v.Type()) {
			if _, dup := values[f.key]; !dup {
				keys = append(keys, f.key)
			}
			values[f.key] = formatField(v.FieldByIndex(f.index))
		}
	}
	return keys, values
}

func formatField(fv reflect.Value) string {
	if m, ok := fv.Interface().(encoding.TextMarshaler); ok {
		if b, err := m.MarshalText(); err == nil {
			return string(b)
		}
	}
	if fv.Type() == durationType {
		return time.Duration(fv.Int()).String()
	}
	return fmt.Sprint(fv.Interface())
}

// Print writes every effective setting of the configs as key=value lines,
// in field order, as Java's -p prints them.
func Print(w io.Writer, cfgs ...any) error {
	keys, values := Values(cfgs...)
	for _, k := range keys {
		if _, err := fmt.Fprintf(w, "%s=%s\n", k, values[k]); err != nil {
			return fmt.Errorf("print config: %w", err)
		}
	}
	return nil
}
