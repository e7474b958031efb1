package client

import (
	"errors"
	"fmt"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// BrokerError is a non-success answer from a broker or name server: the
// response code and remark it sent, and the address that sent it.
type BrokerError struct {
	Code   protocol.ResponseCode
	Remark string
	Addr   string
}

func (e *BrokerError) Error() string {
	if e.Addr == "" {
		return fmt.Sprintf("CODE: %d (%s) DESC: %s", int32(e.Code), e.Code, e.Remark)
	}
	return fmt.Sprintf("CODE: %d (%s) DESC: %s BROKER: %s", int32(e.Code), e.Code, e.Remark, e.Addr)
}

// CodeOf returns the response code carried by err (a *BrokerError anywhere
// in its chain), and false when err carries none.
func CodeOf(err error) (protocol.ResponseCode, bool) {
	var be *BrokerError
	if errors.As(err, &be) {
		return be.Code, true
	}
	return 0, false
}

// Sentinel errors.
var (
	// ErrNoRoute means no name server knows a route for the topic, and no
	// usable fallback route exists.
	ErrNoRoute = errors.New("no route info of this topic")
	// ErrNoBrokerAddr means the route names a broker whose address is unknown.
	ErrNoBrokerAddr = errors.New("broker address not found")
	// ErrClosed means the client was shut down (or never started).
	ErrClosed = errors.New("client not running")
	// ErrNoNameServer means no name server address was configured.
	ErrNoNameServer = errors.New("no name server address")
)

// retryableSendCodes are the codes after which a producer tries another
// broker: TOPIC_NOT_EXIST, SERVICE_NOT_AVAILABLE, SYSTEM_ERROR, NO_PERMISSION
// (the Go client's set; the Java client adds the legacy 204 and 205).
func retryableSend(code protocol.ResponseCode) bool {
	switch code {
	case protocol.TopicNotExist, protocol.ServiceNotAvailable, protocol.SystemError, protocol.NoPermission,
		protocol.NoBuyerId, protocol.NotInCurrentUnit:
		return true
	}
	return false
}
