package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/accessbridge/accessbridge/bridge"
)

// PutRequest remembers a request the bridge filed as ticket ref, with the
// requester it verified. A second call for the same ticket changes nothing.
func (s *Store) PutRequest(ctx context.Context, q Querier, ref bridge.Ref, r bridge.Request) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: put request: %w", err)
	}
	_, err = q.ExecContext(ctx, s.Rebind(`INSERT INTO requests (source, ticket_key, requester, subject, channel, data)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, ticket_key) DO NOTHING`),
		ref.Source, ref.Key, r.Requester, r.Subject, r.Channel, string(data))
	if err != nil {
		return fmt.Errorf("store: put request %s: %w", ref, err)
	}
	return nil
}

// Request returns the request the bridge filed as ticket ref, if it did.
func (s *Store) Request(ctx context.Context, ref bridge.Ref) (bridge.Request, bool, error) {
	var data string
	err := s.read.QueryRowContext(ctx, s.Rebind(`SELECT data FROM requests WHERE source = ? AND ticket_key = ?`), ref.Source, ref.Key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return bridge.Request{}, false, nil
	}
	if err != nil {
		return bridge.Request{}, false, fmt.Errorf("store: request %s: %w", ref, err)
	}
	var r bridge.Request
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bridge.Request{}, false, fmt.Errorf("store: request %s: %w", ref, err)
	}
	return r, true, nil
}
