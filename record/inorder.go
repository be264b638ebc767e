package record

import (
	"runtime"
	"sync"
)

// parallelInOrder runs work on every item produce emits, on a goroutine per
// CPU (up to 8), and hands the items to consume in the order they were
// emitted, each once its work is done. Decoding a recording's JSON is most
// of reading it and no line's decoding depends on another's, so opening a
// recording (scan) and crossing a stretch of one (File.Entries) both spread
// that work this way.
//
// produce runs on a goroutine of its own and stops when emit returns false;
// consume runs on the caller's goroutine and stops everything by returning
// false. parallelInOrder owns its goroutines: all have finished when it
// returns.
func parallelInOrder[T any](produce func(emit func(T) bool), work func(T), consume func(T) bool) {
	type job struct {
		item T
		done chan struct{} // closed once work(item) returned
	}
	workers := min(max(runtime.GOMAXPROCS(0), 1), 8)
	quit := make(chan struct{})
	queue, ordered := make(chan job, 2*workers), make(chan job, 2*workers)
	var wg sync.WaitGroup
	defer func() {
		close(quit)
		wg.Wait()
	}()
	wg.Add(1 + workers)
	go func() {
		defer wg.Done()
		defer close(queue)
		defer close(ordered)
		produce(func(item T) bool {
			j := job{item: item, done: make(chan struct{})}
			select {
			case ordered <- j:
			case <-quit:
				return false
			}
			select {
			case queue <- j:
			case <-quit:
				return false
			}
			return true
		})
	}()
	for range workers {
		go func() {
			defer wg.Done()
			for j := range queue {
				work(j.item)
				close(j.done)
			}
		}()
	}
	for j := range ordered {
		<-j.done
		if !consume(j.item) {
			return
		}
	}
}
