package client

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// uniqIDGen makes client message ids, the UNIQ_KEY property (Java's
// MessageClientIDSetter; wire-protocol.md §12.9), 16 bytes as upper-case hex:
//
//	| ip 4 bytes | pid int16 | random int32 | ms since month start int32 | counter int16 |
//
// The first 10 bytes are fixed per generator; the time part restarts each
// calendar month, as Java's does.
type uniqIDGen struct {
	mu         sync.Mutex
	prefix     [10]byte
	monthStart time.Time
	nextMonth  time.Time
	counter    uint16
}

func newUniqIDGen(ip string) *uniqIDGen {
	g := &uniqIDGen{}
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		a = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	ip4 := a.As4()
	copy(g.prefix[:4], ip4[:])
	binary.BigEndian.PutUint16(g.prefix[4:], uint16(os.Getpid()))
	binary.BigEndian.PutUint32(g.prefix[6:], rand.Uint32())
	return g
}

func (g *uniqIDGen) next() string {
	now := time.Now()
	g.mu.Lock()
	if !now.Before(g.nextMonth) {
		y, m, _ := now.Date()
		g.monthStart = time.Date(y, m, 1, 0, 0, 0, 0, now.Location())
		g.nextMonth = g.monthStart.AddDate(0, 1, 0)
	}
	var b [16]byte
	copy(b[:10], g.prefix[:])
	binary.BigEndian.PutUint32(b[10:], uint32(now.Sub(g.monthStart).Milliseconds()))
	binary.BigEndian.PutUint16(b[14:], g.counter)
	g.counter++
	g.mu.Unlock()
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
