package runner

import (
	"testing"
	"time"
)

// Every deadline armed rings, even one that has passed by the time the
// alarm's goroutine reads it: a ring must never be taken for a stale one
// and thrown away, or the serving loop sleeps past its deadline for good.
func TestAlarmRingsForEveryDeadline(t *testing.T) {
	a := newAlarm()
	defer a.close()
	for i := range 20000 {
		due := time.Now()
		if i%2 == 1 {
			due = due.Add(20 * time.Microsecond)
		}
		a.arm(due)
		select {
		case got := <-a.ring:
			if !got.Equal(due) {
				t.Fatalf("deadline %d rang for %s, want %s", i, got.Format("15:04:05.000000"), due.Format("15:04:05.000000"))
			}
		case <-time.After(time.Second):
			t.Fatalf("deadline %d (%s) never rang", i, due.Format("15:04:05.000000"))
		}
	}
}

// A deadline replaced by an earlier one never rings; the earlier one
// rings at its time.
func TestAlarmReplacedDeadline(t *testing.T) {
	a := newAlarm()
	defer a.close()
	a.arm(time.Now().Add(time.Hour))
	due := time.Now().Add(2 * time.Millisecond)
	a.arm(due)
	select {
	case got := <-a.ring:
		if !got.Equal(due) || time.Now().Before(due) {
			t.Errorf("rang for %s at %s; want %s, at or after it", got.Format("15:04:05.000000"), time.Now().Format("15:04:05.000000"), due.Format("15:04:05.000000"))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the replacing deadline never rang")
	}
}
