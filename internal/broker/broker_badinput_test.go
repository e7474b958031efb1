package broker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// TestBrokerBadInputAnswered throws malformed requests at every data-path
// code: each gets a response with a remark, none panics (a recovered
// panic's remark names a Go source line) and the broker keeps serving.
func TestBrokerBadInputAnswered(t *testing.T) {
	e := startEnv(t)
	e.createTopic("BadInput", 2, 6)
	codes := []protocol.RequestCode{
		protocol.SendMessage, protocol.SendMessageV2, protocol.SendBatchMessage, protocol.PullMessage,
		protocol.ConsumerSendMsgBack, protocol.QueryMessage, protocol.ViewMessageById, protocol.GetMaxOffset,
		protocol.GetMinOffset, protocol.SearchOffsetByTimestamp, protocol.GetEarliestMsgStoretime,
		protocol.GetTopicStatsInfo, protocol.GetConsumeStats, protocol.EndTransaction,
	}
	garbage := []map[string]string{
		nil,
		{"topic": "BadInput", "queueId": "x", "offset": "-1", "timestamp": "abc"},
		{"topic": "BadInput", "queueId": "-5", "offset": "-9223372036854775808", "timestamp": "-1", "key": "", "maxNum": "-3",
			"beginTimestamp": "9", "endTimestamp": "1", "consumerGroup": "g", "queueOffset": "-7", "maxMsgNums": "-1",
			"sysFlag": "-1", "commitOffset": "-1", "suspendTimeoutMillis": "-1", "subVersion": "-1", "group": "g", "delayLevel": "99999"},
		{"a": "pg", "b": "BadInput", "c": "TBW102", "d": "-4", "e": "2147483647", "f": "-1", "g": "0", "h": "0", "m": "true",
			"producerGroup": "pg", "tranStateTableOffset": "-1", "commitLogOffset": "-1", "commitOrRollback": "8", "msgId": ""},
	}
	bodies := [][]byte{nil, {0xff, 0x00, 0x01}, []byte(strings.Repeat("\x00", 64))}
	for _, code := range codes {
		for gi, ext := range garbage {
			for bi, body := range bodies {
				var fields map[string]string
				if ext != nil {
					fields = make(map[string]string, len(ext))
					for k, v := range ext {
						fields[k] = v
					}
				}
				req := remoting.NewRequest(code, fields, body)
				if code == protocol.EndTransaction && gi == 3 {
					// A decided END_TRANSACTION with a bad offset is answered;
					// undecided ones are not, by design.
					req.ExtFields["commitOrRollback"] = "12"
				} else if code == protocol.EndTransaction {
					continue
				}
				resp := e.invoke(req)
				require.NotContains(t, resp.Remark, ".go:", "code %s, fields %d, body %d: handler panicked", code, gi, bi)
				if resp.Code != int32(protocol.Success) {
					require.NotEmpty(t, resp.Remark, "code %s, fields %d, body %d: an error names its cause", code, gi, bi)
				}
			}
		}
	}
	e.send("BadInput", 0, nil, "still serving")
}
