package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/accessbridge/accessbridge/policy"
)

// DecodeSearch streams a search response ({"issues":[…], …} from
// /rest/api/2/search or /search/jql, or a bare array of issues) and calls
// fn for each normalized ticket. Only one issue is held in memory at a
// time. Errors name the issue index, key and byte offset; an error from
// fn stops decoding and is returned as is.
func DecodeSearch(r io.Reader, m Mapping, fn func(policy.Ticket) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("jira search: at byte %d: %w", dec.InputOffset(), err)
	}
	switch tok {
	case json.Delim('['):
		return decodeIssues(dec, m, fn)
	case json.Delim('{'):
	default:
		return fmt.Errorf("jira search: at byte 0: want an object with \"issues\" or an array of issues")
	}
	found := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return fmt.Errorf("jira search: at byte %d: %w", dec.InputOffset(), err)
		}
		if key != "issues" {
			if err := skipValue(dec); err != nil {
				return fmt.Errorf("jira search: field %v at byte %d: %w", key, dec.InputOffset(), err)
			}
			continue
		}
		found = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return fmt.Errorf("jira search: at byte %d: \"issues\" is not an array", dec.InputOffset())
		}
		if err := decodeIssues(dec, m, fn); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("jira search: at byte %d: %w", dec.InputOffset(), err)
	}
	if !found {
		return errors.New("jira search: no \"issues\" array")
	}
	return nil
}

// decodeIssues reads array elements up to and including the closing ].
func decodeIssues(dec *json.Decoder, m Mapping, fn func(policy.Ticket) error) error {
	for i := 0; dec.More(); i++ {
		at := dec.InputOffset()
		var w wireIssue
		if err := dec.Decode(&w); err != nil {
			return fmt.Errorf("jira search: issue %d at byte %d: %w", i, at, jsonErr(err))
		}
		t, err := m.fromWire(&w)
		if err != nil {
			return fmt.Errorf("jira search: issue %d (%s) at byte %d: %w", i, w.Key, at, err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ]
		return fmt.Errorf("jira search: at byte %d: %w", dec.InputOffset(), err)
	}
	return nil
}

// skipValue consumes one JSON value of any size without keeping it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
