package runner

import "time"

// request is one queued or in-flight request of a serving run.
type request struct {
	// sched is when it was scheduled to arrive; latency counts from it.
	sched time.Time
	// busy is the all-busy time (serveLoop.allBusyAt) at sched; queue
	// holds, once dispatched, how long it waited with every instance busy.
	busy, queue time.Duration
	// run is the RunID it arrived in: answers of an older run are served
	// but not counted.
	run uint64
	// client is the closed-loop client that sent it, -1 for none.
	client int32
}

// reqQueue is a first-in first-out ring of requests that grows as needed.
type reqQueue struct {
	buf        []request
	head, size int
}

func (q *reqQueue) len() int { return q.size }

func (q *reqQueue) push(r request) {
	if q.size == len(q.buf) {
		n := max(64, 2*len(q.buf))
		buf := make([]request, n)
		for i := range q.size {
			buf[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = buf, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = r
	q.size++
}

// front is the oldest request; the queue must not be empty.
func (q *reqQueue) front() *request { return &q.buf[q.head] }

// pop removes the oldest request and returns it.
func (q *reqQueue) pop() request {
	r := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return r
}
