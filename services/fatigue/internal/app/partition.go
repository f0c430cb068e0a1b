package app

// Forget drops the cached states of the athletes owned reports true for. A
// partitioned deployment calls it when this instance is given a partition:
// another instance may have advanced those athletes meanwhile, so their next
// event reloads the snapshot that instance saved.
func (p *Processor) Forget(owned func(Key) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k := range p.states {
		if owned(k) {
			delete(p.states, k)
			n++
		}
	}
	return n
}
