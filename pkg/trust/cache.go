package trust

import "sync"

// MaterialCache keeps the material parsed for each trust root of a run, so a
// plugin parses a trust root once however many artifacts use it. The zero
// value is ready to use.
type MaterialCache struct {
	mu sync.Mutex
	m  map[string]*Material
}

// Get returns the material for the named trust root, parsing it the first
// time.
func (c *MaterialCache) Get(name string, trustedRootJSON []byte, publicKeysPEM [][]byte) (*Material, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.m[name]; ok {
		return m, nil
	}
	m, err := NewMaterial(name, trustedRootJSON, publicKeysPEM)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*Material{}
	}
	c.m[name] = m
	return m, nil
}
