// Package latest is the hand-off every producer of live data uses: a
// one-slot channel that holds the newest value, so that the producer (the
// runner, a sampler) never waits on a slow reader (the screen), which
// always gets the freshest value (bubbletea's examples/realtime pattern, with
// superfile's non-blocking send).
//
// It imports only the standard library.
package latest

// Offer puts v in the one-slot channel ch, replacing a value not yet read;
// it never blocks.
func Offer[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}
