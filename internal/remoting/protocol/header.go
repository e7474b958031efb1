package protocol

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Typed request and response headers travel in a command's extFields, one
// entry per Java field: key = the Java field name, value = String.valueOf
// (RemotingCommand.java makeCustomHeaderToNet / decodeCommandCustomHeader).
// Go header structs name that key in an rmq tag:
//
//	type PullMessageRequestHeader struct {
//		ConsumerGroup string `rmq:"consumerGroup,required"`
//		QueueID       int32  `rmq:"queueId,required"`
//		SubVersion    *int64 `rmq:"subVersion"`
//	}
//
// Options after the name: "required" (Java's @CFNotNull: DecodeHeader fails
// when the key is absent) and "omitempty" (EncodeHeader skips a zero value,
// for Java String fields that are usually null). A nil pointer is an absent
// field. Untagged fields are ignored; untagged embedded structs contribute
// their fields, as Java superclasses do.

// HeaderError is a bad custom header field, with Java's wording.
type HeaderError struct {
	Field   string // Java field name
	Value   string // the text that failed to parse; empty when missing
	Missing bool   // a required field is absent
	Err     error  // the parse error, when not Missing
}

func (e *HeaderError) Error() string {
	if e.Missing {
		return "the custom field <" + e.Field + "> is null"
	}
	return "the custom field <" + e.Field + "> is not a number: " + strconv.Quote(e.Value)
}

func (e *HeaderError) Unwrap() error { return e.Err }

type headerField struct {
	name      string
	index     []int
	required  bool
	omitempty bool
	ptr       bool
	kind      reflect.Kind
}

var headerFields sync.Map // reflect.Type -> []headerField or error

func fieldsOf(t reflect.Type) ([]headerField, error) {
	if v, ok := headerFields.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.([]headerField), nil
	}
	fs, err := collectFields(t, nil)
	if err != nil {
		headerFields.Store(t, err)
		return nil, err
	}
	headerFields.Store(t, fs)
	return fs, nil
}

func collectFields(t reflect.Type, prefix []int) ([]headerField, error) {
	var out []headerField
	for i := range t.NumField() {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag, tagged := sf.Tag.Lookup("rmq")
		if !tagged {
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				sub, err := collectFields(sf.Type, index)
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
			}
			continue
		}
		if tag == "-" {
			continue
		}
		if !sf.IsExported() {
			return nil, fmt.Errorf("header %s: field %s has an rmq tag but is not exported", t, sf.Name)
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := headerField{name: name, index: index}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case "required":
				f.required = true
			case "omitempty":
				f.omitempty = true
			default:
				return nil, fmt.Errorf("header %s: field %s: unknown rmq option %q", t, sf.Name, o)
			}
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			f.ptr = true
			ft = ft.Elem()
		}
		f.kind = ft.Kind()
		switch f.kind {
		case reflect.String, reflect.Bool,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
		default:
			return nil, fmt.Errorf("header %s: field %s has unsupported type %s", t, sf.Name, sf.Type)
		}
		out = append(out, f)
	}
	return out, nil
}

func structOf(h any) (reflect.Value, error) {
	v := reflect.ValueOf(h)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("header codec: want a non-nil pointer to a struct, got %T", h)
	}
	return v.Elem(), nil
}

// EncodeHeader turns the header struct h points to into extFields. Values
// are written as Java's String.valueOf writes them; nil pointers (and zero
// omitempty fields) are left out. A bad h (not a pointer to a struct of
// supported fields) is a programming error and encodes nothing.
func EncodeHeader(h any) map[string]string {
	v, err := structOf(h)
	if err != nil {
		return nil
	}
	fs, err := fieldsOf(v.Type())
	if err != nil {
		return nil
	}
	ext := make(map[string]string, len(fs))
	for _, f := range fs {
		fv := v.FieldByIndex(f.index)
		if f.ptr {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		} else if f.omitempty && fv.IsZero() {
			continue
		}
		ext[f.name] = formatValue(fv, f.kind)
	}
	return ext
}

func formatValue(v reflect.Value, k reflect.Kind) string {
	switch k {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32:
		return JavaDouble(float64(float32(v.Float())))
	default:
		return JavaDouble(v.Float())
	}
}

// JavaDouble formats f as Java's Double.toString does: "1.0", "0.25",
// "1.0E7", "1.5E-4", "NaN", "Infinity".
func JavaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // like 1.5e-04
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.ContainsRune(mant, '.') {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// DecodeHeader fills the header struct h points to from extFields. A
// required field that is absent gives a *HeaderError "the custom field
// <topic> is null"; an unparsable number gives one "the custom field
// <queueId> is not a number: \"abc\"". Booleans follow Java's
// Boolean.parseBoolean: anything but a case-insensitive "true" is false.
// Absent optional fields keep their values. Unknown keys are ignored.
func DecodeHeader(ext map[string]string, h any) error {
	v, err := structOf(h)
	if err != nil {
		return err
	}
	fs, err := fieldsOf(v.Type())
	if err != nil {
		return err
	}
	for _, f := range fs {
		s, ok := ext[f.name]
		if !ok {
			if f.required {
				return &HeaderError{Field: f.name, Missing: true}
			}
			continue
		}
		fv := v.FieldByIndex(f.index)
		if f.ptr {
			nv := reflect.New(fv.Type().Elem())
			if err := parseValue(nv.Elem(), f, s); err != nil {
				return err
			}
			fv.Set(nv)
			continue
		}
		if err := parseValue(fv, f, s); err != nil {
			return err
		}
	}
	return nil
}

var errNotNumber = errors.New("not a number")

func parseValue(v reflect.Value, f headerField, s string) error {
	switch f.kind {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(strings.EqualFold(s, "true"))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return &HeaderError{Field: f.name, Value: s, Err: errors.Join(errNotNumber, err)}
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return &HeaderError{Field: f.name, Value: s, Err: errors.Join(errNotNumber, err)}
		}
		v.SetUint(n)
	default:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), v.Type().Bits())
		if err != nil {
			return &HeaderError{Field: f.name, Value: s, Err: errors.Join(errNotNumber, err)}
		}
		v.SetFloat(n)
	}
	return nil
}
