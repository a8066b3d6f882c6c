package store

import (
	"context"
	"fmt"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

// PutMessage records a chat message sent about a ticket, replacing the one
// for the same (ticket, person, kind). It writes through the write pool:
// on SQLite do not call it inside InTx.
func (s *Store) PutMessage(ctx context.Context, m bridge.Message) error {
	if m.SentAt.IsZero() {
		m.SentAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.Rebind(`INSERT INTO messages (source, ticket_key, person, kind, channel, ts, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, ticket_key, person, kind) DO UPDATE SET
			channel = excluded.channel, ts = excluded.ts, sent_at = excluded.sent_at`),
		m.Ticket.Source, m.Ticket.Key, m.Person, m.Kind, m.Channel, m.TS, s.TimeValue(m.SentAt))
	if err != nil {
		return fmt.Errorf("store: put message %s: %w", m.Ticket, err)
	}
	return nil
}

// Messages lists the chat messages sent about a ticket.
func (s *Store) Messages(ctx context.Context, ref bridge.Ref) ([]bridge.Message, error) {
	rows, err := s.read.QueryContext(ctx, s.Rebind(`SELECT source, ticket_key, person, kind, channel, ts, sent_at
		FROM messages WHERE source = ? AND ticket_key = ? ORDER BY person, kind`), ref.Source, ref.Key)
	if err != nil {
		return nil, fmt.Errorf("store: messages %s: %w", ref, err)
	}
	defer rows.Close()
	var out []bridge.Message
	for rows.Next() {
		var m bridge.Message
		if err := rows.Scan(&m.Ticket.Source, &m.Ticket.Key, &m.Person, &m.Kind, &m.Channel, &m.TS, TimeScanner(&m.SentAt)); err != nil {
			return nil, fmt.Errorf("store: messages %s: %w", ref, err)
		}
		out = append(out, m)
	}
	return out, rowsErr(rows, "messages")
}
