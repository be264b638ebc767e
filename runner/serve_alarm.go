package runner

import (
	"sync"
	"time"
)

// alarm wakes the serving loop at a deadline to within about a tenth of a
// millisecond: its own goroutine naps (nanosleep, nap) towards the latest
// deadline it was given and then rings. The runtime's timers wake up to a
// tick of the system's clock late (about a millisecond on some virtual
// machines), which every request's latency would carry; the loop keeps
// waiting on its channels meanwhile, so a completion still wakes it at once.
type alarm struct {
	set  chan time.Time // the next deadline; a newer one replaces it
	ring chan time.Time // the deadline reached, once per deadline
	stop chan struct{}
	wg   sync.WaitGroup
}

// newAlarm starts the alarm's goroutine; close stops it.
func newAlarm() *alarm {
	a := &alarm{set: make(chan time.Time, 1), ring: make(chan time.Time, 1), stop: make(chan struct{})}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.run()
	}()
	return a
}

// arm sets the deadline, replacing one not reached yet. A ring of the
// replaced deadline may still come after arm returns: it carries that
// deadline, so the reader can tell it from this one's.
func (a *alarm) arm(t time.Time) {
	select {
	case <-a.set:
	default:
	}
	// A stale ring goes before the new deadline is handed over: once handed
	// over, the goroutine may ring for it at once, and that ring must stay.
	select {
	case <-a.ring:
	default:
	}
	a.set <- t
}

func (a *alarm) run() {
	for {
		var due time.Time
		select {
		case <-a.stop:
			return
		case due = <-a.set:
		}
		for {
			left := time.Until(due)
			if left <= 0 {
				select {
				case a.ring <- due:
				default:
				}
				break
			}
			nap(min(left, napStep))
			select {
			case <-a.stop:
				return
			case due = <-a.set:
			default:
			}
		}
	}
}

// close stops the goroutine and waits for it.
func (a *alarm) close() {
	close(a.stop)
	a.wg.Wait()
}
