package ws

import (
	"container/heap"
	"time"

	"github.com/grafana/sobek"
)

// timer is one callback scheduled with socket.setTimeout or setInterval.
type timer struct {
	due   time.Time
	seq   uint64 // orders timers that are due at the same time
	fn    sobek.Callable
	every time.Duration // 0 for setTimeout
}

// timerHeap orders timers by due time, then by the order they were set.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}

func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *timerHeap) Push(x any) {
	t, _ := x.(*timer)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	n := len(old) - 1
	t := old[n]
	old[n] = nil
	*h = old[:n]
	return t
}

// timers are a socket's pending timers. They need no goroutine: one
// time.Timer is armed for the earliest of them and the socket's loop selects
// on its channel.
type timers struct {
	pending timerHeap
	seq     uint64
	clock   *time.Timer
}

// add schedules fn after d, and every d after that when repeat is set.
func (t *timers) add(fn sobek.Callable, d time.Duration, repeat bool) {
	tm := &timer{due: time.Now().Add(d), seq: t.seq, fn: fn}
	if repeat {
		tm.every = d
	}
	t.seq++
	heap.Push(&t.pending, tm)
	t.arm()
}

// C returns the channel that receives when the earliest timer is due, or nil
// when none is pending.
func (t *timers) C() <-chan time.Time {
	if len(t.pending) == 0 || t.clock == nil {
		return nil
	}
	return t.clock.C
}

// next removes and returns the earliest timer that is due at now; an
// interval is scheduled again first. It reports false when none is due.
// Each interval comes at most once per now, so a late interval does not
// run in a burst.
func (t *timers) next(now time.Time) (sobek.Callable, bool) {
	if len(t.pending) == 0 || t.pending[0].due.After(now) {
		return nil, false
	}
	tm := t.pending[0]
	if tm.every == 0 {
		heap.Pop(&t.pending)
		return tm.fn, true
	}
	tm.due = tm.due.Add(tm.every)
	if !tm.due.After(now) {
		tm.due = now.Add(tm.every)
	}
	tm.seq = t.seq
	t.seq++
	heap.Fix(&t.pending, 0)
	return tm.fn, true
}

// arm sets the clock for the earliest pending timer.
func (t *timers) arm() {
	if len(t.pending) == 0 {
		if t.clock != nil {
			t.clock.Stop()
		}
		return
	}
	d := time.Until(t.pending[0].due)
	if t.clock == nil {
		t.clock = time.NewTimer(d)
		return
	}
	t.clock.Reset(d)
}

// stop drops every pending timer.
func (t *timers) stop() {
	clear(t.pending)
	t.pending = t.pending[:0]
	if t.clock != nil {
		t.clock.Stop()
	}
}
