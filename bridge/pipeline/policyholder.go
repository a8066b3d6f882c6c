package pipeline

import (
	"sync/atomic"

	"github.com/accessbridge/accessbridge/policy"
)

// PolicyHolder holds the policy in force. Reload swaps it atomically; a
// policy that fails to load never replaces the one running.
type PolicyHolder struct {
	cur   atomic.Pointer[policy.Policy]
	paths []string
}

// LoadPolicy loads paths into a new holder.
func LoadPolicy(paths ...string) (*PolicyHolder, error) {
	p, err := policy.Load(paths...)
	if err != nil {
		return nil, err
	}
	h := &PolicyHolder{paths: paths}
	h.cur.Store(p)
	return h, nil
}

// NewPolicyHolder wraps an already loaded policy.
func NewPolicyHolder(p *policy.Policy, paths ...string) *PolicyHolder {
	h := &PolicyHolder{paths: paths}
	h.cur.Store(p)
	return h
}

// Get returns the policy in force.
func (h *PolicyHolder) Get() *policy.Policy { return h.cur.Load() }

// Reload re-reads the files; on error the running policy stays.
func (h *PolicyHolder) Reload() (changed bool, err error) {
	p, err := policy.Load(h.paths...)
	if err != nil {
		return false, err
	}
	old := h.cur.Swap(p)
	return old == nil || old.Digest() != p.Digest(), nil
}

// Paths are the files the policy is loaded from.
func (h *PolicyHolder) Paths() []string { return h.paths }
