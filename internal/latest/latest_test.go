package latest

import "testing"

func TestOfferKeepsTheNewest(t *testing.T) {
	ch := make(chan int, 1)
	Offer(ch, 1)
	Offer(ch, 2) // replaces 1, does not block
	if v := <-ch; v != 2 {
		t.Fatalf("got %d, want the newest 2", v)
	}
	Offer(ch, 3)
	if v := <-ch; v != 3 {
		t.Fatalf("got %d", v)
	}
}
