package remoting

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame layout (RemotingCommand.java encode/decode, NettyDecoder.java):
//
//	| frameLength int32 | headerWord int32 | header H bytes | body B bytes |
//
// frameLength = 4 + H + B and does not count itself. headerWord holds the
// serialize type in its high byte and H in its low 24 bits. All integers are
// big-endian.
const (
	lengthPrefixSize = 4
	headerWordSize   = 4

	// DefaultMaxFrameSize is Java's com.rocketmq.remoting.frameMaxLength
	// default: the whole frame including its length prefix.
	DefaultMaxFrameSize = 16 << 20

	headerLengthMask = 0x00FFFFFF
)

// ErrBadFrame is wrapped by every frame and header decoding error.
var ErrBadFrame = errors.New("remoting: bad frame")

func badFrame(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadFrame, fmt.Sprintf(format, args...))
}

// FrameSize validates the 4-byte length prefix at the start of p and returns
// the size of the whole frame including the prefix. maxFrame bounds that
// size (0 means DefaultMaxFrameSize). A length below the header-length word,
// or a frame larger than maxFrame, is an error, as in Java's decoder.
func FrameSize(p []byte, maxFrame int) (int, error) {
	if len(p) < lengthPrefixSize {
		return 0, badFrame("length prefix needs 4 bytes, have %d", len(p))
	}
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrameSize
	}
	n := int32(binary.BigEndian.Uint32(p))
	if n < headerWordSize {
		return 0, badFrame("frame length %d is below the header word size", n)
	}
	total := int64(n) + lengthPrefixSize
	if total > int64(maxFrame) {
		return 0, badFrame("frame length %d exceeds max frame size %d", n, maxFrame)
	}
	return int(total), nil
}

// DecodeFrame decodes one whole frame, length prefix included. The body of
// the returned command aliases frame.
func DecodeFrame(frame []byte) (*Command, error) {
	if len(frame) < lengthPrefixSize+headerWordSize {
		return nil, badFrame("frame of %d bytes is shorter than its fixed part", len(frame))
	}
	n := int32(binary.BigEndian.Uint32(frame))
	if n < headerWordSize || int64(n) != int64(len(frame)-lengthPrefixSize) {
		return nil, badFrame("frame length %d does not match %d bytes read", n, len(frame)-lengthPrefixSize)
	}
	word := binary.BigEndian.Uint32(frame[lengthPrefixSize:])
	st := SerializeType(word >> 24)
	hlen := int(word & headerLengthMask)
	rest := frame[lengthPrefixSize+headerWordSize:]
	if hlen > len(rest) {
		return nil, badFrame("bad header length %d, frame has %d bytes after the header word", hlen, len(rest))
	}
	cmd := &Command{SerializeType: st}
	var err error
	switch st {
	case SerializeJSON:
		err = decodeHeaderJSON(rest[:hlen], cmd)
	case SerializeRocketMQ:
		err = decodeHeaderBinary(rest[:hlen], cmd)
	default:
		err = badFrame("unknown serialize type %d", st)
	}
	if err != nil {
		return nil, err
	}
	if body := rest[hlen:]; len(body) > 0 {
		cmd.Body = body
	}
	return cmd, nil
}

// AppendFrame appends the whole frame of c, in c.SerializeType, to dst.
func AppendFrame(dst []byte, c *Command) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	hstart := len(dst)
	var err error
	switch c.SerializeType {
	case SerializeJSON:
		dst = appendHeaderJSON(dst, c)
	case SerializeRocketMQ:
		dst, err = appendHeaderBinary(dst, c)
	default:
		err = fmt.Errorf("encode frame: unknown serialize type %d", c.SerializeType)
	}
	if err != nil {
		return dst[:start], err
	}
	hlen := len(dst) - hstart
	if hlen > headerLengthMask {
		return dst[:start], fmt.Errorf("encode frame: header of %d bytes exceeds 24 bits", hlen)
	}
	dst = append(dst, c.Body...)
	total := len(dst) - start - lengthPrefixSize
	if int64(total) > 1<<31-1 {
		return dst[:start], fmt.Errorf("encode frame: frame of %d bytes is too long", total)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(total))
	binary.BigEndian.PutUint32(dst[start+lengthPrefixSize:], uint32(c.SerializeType)<<24|uint32(hlen))
	return dst, nil
}

// EncodeFrame returns the whole frame of c in c.SerializeType.
func EncodeFrame(c *Command) ([]byte, error) {
	return AppendFrame(make([]byte, 0, 8+128+len(c.ExtFields)*32+len(c.Remark)+len(c.Body)), c)
}

// LanguageCode bytes of the binary header (LanguageCode.java).
var languageNames = [...]string{
	0:  "JAVA",
	1:  "CPP",
	2:  "DOTNET",
	3:  "PYTHON",
	4:  "DELPHI",
	5:  "ERLANG",
	6:  "RUBY",
	7:  "OTHER",
	8:  "HTTP",
	9:  "GO",
	10: "PHP",
	11: "OMS",
	12: "RUST",
	13: "NODE_JS",
}

const languageOther = 7

// LanguageName returns the LanguageCode name of a binary language byte;
// unknown bytes read as "OTHER".
func LanguageName(b byte) string {
	if int(b) < len(languageNames) {
		return languageNames[b]
	}
	return languageNames[languageOther]
}

// LanguageByte returns the binary byte of a LanguageCode name; an empty name
// is JAVA, an unknown one OTHER.
func LanguageByte(name string) byte {
	if name == "" {
		return 0
	}
	for i, n := range languageNames {
		if n == name {
			return byte(i)
		}
	}
	return languageOther
}
