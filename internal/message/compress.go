package message

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
)

// CompressBodyOverHowmuch is the body size from which producers compress
// (compressMsgBodyOverHowmuch); DefaultCompressLevel is their zlib level.
const (
	CompressBodyOverHowmuch = 4096
	DefaultCompressLevel    = 5
)

// Compress deflates body as a zlib stream (Java Deflater).
func Compress(body []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	return buf.Bytes(), nil
}

// maxInflated bounds what Decompress will produce, so a hostile body cannot
// exhaust memory (4 MiB max message size, times a generous factor).
const maxInflated = 64 << 20

// Decompress inflates a zlib body.
func Decompress(body []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("decompress body: %w", err)
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("decompress body: %w", err)
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("decompress body: more than %d bytes", maxInflated)
	}
	return out, nil
}

// UncompressedBody returns the body, inflated when SYSFLAG says it is
// compressed (legacy 0 or ZLIB compression type). LZ4 and ZSTD bodies are
// returned as stored with an error, as this suite does not implement them.
func (m *MessageExt) UncompressedBody() ([]byte, error) {
	if m.SysFlag&SysFlagCompressed == 0 {
		return m.Body, nil
	}
	switch m.SysFlag & 0x700 {
	case 0, SysFlagCompressionZLIB:
		return Decompress(m.Body)
	default:
		return m.Body, fmt.Errorf("decompress body: compression type %#x not supported", m.SysFlag&0x700)
	}
}
