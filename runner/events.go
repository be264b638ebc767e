package runner

import (
	"fmt"
	"time"
)

// eventCap is how many recent events a snapshot carries.
const eventCap = 32

// eventRing keeps the latest events in a fixed array.
type eventRing struct {
	buf  [eventCap]Event
	next uint64 // sequence number of the next event; also the total added
}

func (e *eventRing) add(t time.Time, k EventKind, format string, a ...any) {
	e.buf[e.next%eventCap] = Event{Seq: e.next, Time: t, Kind: k, Text: fmt.Sprintf(format, a...)}
	e.next++
}

// list returns the kept events, oldest first.
func (e *eventRing) list() []Event {
	n := min(e.next, eventCap)
	out := make([]Event, 0, n)
	for s := e.next - n; s < e.next; s++ {
		out = append(out, e.buf[s%eventCap])
	}
	return out
}
