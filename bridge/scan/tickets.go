package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/accessbridge/accessbridge/policy"
)

// DecodeTickets streams a JSON array of tickets in the bridge's own format
// (policy.Ticket's JSON) and calls fn for each, holding one at a time. It
// stops at the first error fn returns.
func DecodeTickets(r io.Reader, fn func(policy.Ticket) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("tickets: want a JSON array of tickets, got %v at offset %d: %w", tok, dec.InputOffset(), errNotArray)
	}
	for i := 0; dec.More(); i++ {
		var t policy.Ticket
		if err := dec.Decode(&t); err != nil {
			return fmt.Errorf("tickets: ticket %d: %w", i, err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	return nil
}

var errNotArray = errors.New("not an array")
