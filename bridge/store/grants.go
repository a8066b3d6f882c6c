package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

// PutGrant records an active grant and returns its id. There is one active
// grant per (ticket, subject, resource, role): putting it again updates its
// entitlement, grant time and expiry and keeps its id.
func (s *Store) PutGrant(ctx context.Context, q Querier, g bridge.Grant) (int64, error) {
	if g.GrantedAt.IsZero() {
		g.GrantedAt = time.Now()
	}
	ent, err := json.Marshal(g.Entitlement)
	if err != nil {
		return 0, fmt.Errorf("store: put grant: %w", err)
	}
	var id int64
	err = q.QueryRowContext(ctx, s.Rebind(`INSERT INTO grants
		(source, ticket_key, subject, resource, role, entitlement, granted_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, ticket_key, subject, resource, role) WHERE revoked_at IS NULL DO UPDATE SET
			entitlement = excluded.entitlement, granted_at = excluded.granted_at, expires_at = excluded.expires_at
		RETURNING id`),
		g.Ticket.Source, g.Ticket.Key, g.Subject, g.Entitlement.Resource, g.Entitlement.Role, string(ent),
		s.TimeValue(g.GrantedAt), s.NullTimeValue(g.ExpiresAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: put grant %s: %w", g.Ticket, err)
	}
	return id, nil
}

// DueGrants lists active grants whose expiry is at or before now, soonest
// first; limit <= 0 means 100.
func (s *Store) DueGrants(ctx context.Context, now time.Time, limit int) ([]bridge.Grant, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.queryGrants(ctx, "due grants", `WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?
		ORDER BY expires_at, id LIMIT ?`, s.TimeValue(now), limit)
}

// RevokeGrant marks a grant revoked. Revoking a revoked grant keeps the
// first revocation time; an unknown id is ErrNotFound.
func (s *Store) RevokeGrant(ctx context.Context, q Querier, id int64, at time.Time) error {
	res, err := q.ExecContext(ctx, s.Rebind(`UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`),
		s.TimeValue(at), id)
	if err != nil {
		return fmt.Errorf("store: revoke grant %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var n int
	if err := q.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) FROM grants WHERE id = ?`), id).Scan(&n); err != nil {
		return fmt.Errorf("store: revoke grant %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: revoke grant %d: %w", id, ErrNotFound)
	}
	return nil
}

// Grants lists a ticket's grants, active and revoked, oldest first.
func (s *Store) Grants(ctx context.Context, ref bridge.Ref) ([]bridge.Grant, error) {
	return s.queryGrants(ctx, "grants", `WHERE source = ? AND ticket_key = ? ORDER BY id`, ref.Source, ref.Key)
}

func (s *Store) queryGrants(ctx context.Context, what, where string, args ...any) ([]bridge.Grant, error) {
	rows, err := s.read.QueryContext(ctx, s.Rebind(`SELECT id, source, ticket_key, subject, entitlement,
		granted_at, expires_at, revoked_at FROM grants `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []bridge.Grant
	for rows.Next() {
		var (
			g   bridge.Grant
			ent string
		)
		if err := rows.Scan(&g.ID, &g.Ticket.Source, &g.Ticket.Key, &g.Subject, &ent,
			TimeScanner(&g.GrantedAt), TimeScanner(&g.ExpiresAt), TimeScanner(&g.RevokedAt)); err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		if err := json.Unmarshal([]byte(ent), &g.Entitlement); err != nil {
			return nil, fmt.Errorf("store: %s: entitlement of grant %d: %w", what, g.ID, err)
		}
		out = append(out, g)
	}
	return out, rowsErr(rows, what)
}
