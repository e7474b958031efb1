package remoting

import (
	"context"
	"sync"
)

// Remark of the SYSTEM_BUSY answer to a request whose pool queue is full
// (NettyRemotingAbstract.java).
const overloadRemark = "[OVERLOAD]system busy, start flow control for a while"

// task is one request waiting for a pool worker.
type task struct {
	c   *Conn
	req *Command
	h   HandlerFunc
}

// Pool is a bounded group of workers that run handlers: the Go side of
// Java's per-processor executors (send, pull, admin, ...). A request that
// finds the queue full is answered SYSTEM_BUSY.
type Pool struct {
	name  string
	run   func(task)
	tasks chan task
	wg    sync.WaitGroup

	mu struct {
		sync.RWMutex
		closed bool
	}
}

func newPool(name string, workers, queue int, run func(task)) *Pool {
	if workers <= 0 {
		workers = 1
	}
	if queue < 0 {
		queue = 0
	}
	p := &Pool{name: name, run: run, tasks: make(chan task, queue)}
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	return p
}

// Name is the pool's name.
func (p *Pool) Name() string { return p.name }

// Queued is the number of requests waiting for a worker.
func (p *Pool) Queued() int { return len(p.tasks) }

func (p *Pool) work() {
	defer p.wg.Done()
	for t := range p.tasks {
		p.run(t)
	}
}

// submit queues t without blocking; false means the queue is full or the
// pool is closed.
func (p *Pool) submit(t task) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.mu.closed {
		return false
	}
	select {
	case p.tasks <- t:
		return true
	default:
		return false
	}
}

// close stops taking tasks and waits, until ctx ends, for the workers to
// finish the queued ones.
func (p *Pool) close(ctx context.Context) error {
	p.mu.Lock()
	if !p.mu.closed {
		p.mu.closed = true
		close(p.tasks)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
