package remoting

import (
	"sync/atomic"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// SerializeType is how a frame's header is written: the high byte of the
// header-length word (SerializeType.java).
type SerializeType byte

const (
	SerializeJSON     SerializeType = 0 // JSON
	SerializeRocketMQ SerializeType = 1 // ROCKETMQ
)

func (t SerializeType) String() string {
	if t == SerializeRocketMQ {
		return "ROCKETMQ"
	}
	return "JSON"
}

// Flag bits of a command (RemotingCommand.java).
const (
	FlagResponse int32 = 1 << 0 // RPC_TYPE: set on responses
	FlagOneway   int32 = 1 << 1 // RPC_ONEWAY: the requester wants no answer
)

// Version is the MQVersion ordinal this suite puts on every command it
// sends: V4_9_8.
const Version int32 = 409

// LanguageJava is the language every command we send declares, as the Java
// broker and name server do.
const LanguageJava = "JAVA"

// Command is one remoting frame: a request or a response (RemotingCommand.java).
// Code holds a protocol.RequestCode on requests and a protocol.ResponseCode
// on responses. Language is the LanguageCode name ("JAVA", "GO", ...).
type Command struct {
	Code      int32
	Language  string
	Version   int32
	Opaque    int32
	Flag      int32
	Remark    string
	ExtFields map[string]string
	Body      []byte

	// SerializeType is the header serialization the frame arrived in, or
	// will be written in. A response takes its request's.
	SerializeType SerializeType
}

var nextOpaque atomic.Int32

// NewRequest makes a request with a fresh opaque and the given custom
// header fields (may be nil) and body (may be nil).
func NewRequest(code protocol.RequestCode, ext map[string]string, body []byte) *Command {
	return &Command{
		Code:      int32(code),
		Language:  LanguageJava,
		Version:   Version,
		Opaque:    nextOpaque.Add(1),
		ExtFields: ext,
		Body:      body,
	}
}

// NewResponse makes the response to req: same opaque and serialization,
// the response flag set, and the given code and remark.
func NewResponse(req *Command, code protocol.ResponseCode, remark string) *Command {
	return &Command{
		Code:          int32(code),
		Language:      LanguageJava,
		Version:       Version,
		Opaque:        req.Opaque,
		Flag:          FlagResponse,
		Remark:        remark,
		SerializeType: req.SerializeType,
	}
}

// IsResponse reports whether the response bit is set.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether the requester asked for no answer.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// MarkOneway sets the oneway bit.
func (c *Command) MarkOneway() { c.Flag |= FlagOneway }

// ResponseCode is Code read as a response code.
func (c *Command) ResponseCode() protocol.ResponseCode { return protocol.ResponseCode(c.Code) }

// RequestCode is Code read as a request code.
func (c *Command) RequestCode() protocol.RequestCode { return protocol.RequestCode(c.Code) }

// SetExt sets one custom header field, creating the map when needed.
func (c *Command) SetExt(key, value string) {
	if c.ExtFields == nil {
		c.ExtFields = make(map[string]string)
	}
	c.ExtFields[key] = value
}
