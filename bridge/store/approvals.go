package store

import (
	"context"
	"fmt"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// AddApproval records an approval collected outside the ticket (a Slack
// click, a native approval) or a comment approval as first seen, with the
// entitlement digest current then. It is unique on (ticket, by, channel,
// decision, digest, source user, at): added is false for a repeat. An empty
// Decision is stored as approve, its meaning.
func (s *Store) AddApproval(ctx context.Context, q Querier, ref bridge.Ref, a policy.Approval) (added bool, err error) {
	if a.Decision == "" {
		a.Decision = policy.Approve
	}
	res, err := q.ExecContext(ctx, s.Rebind(`INSERT INTO approvals
		(source, ticket_key, approver, decision, reason, at, channel, source_user, digest, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, ticket_key, approver, channel, decision, digest, source_user, at) DO NOTHING`),
		ref.Source, ref.Key, a.By, a.Decision, a.Reason, s.TimeValue(a.At), a.Channel, a.SourceUser, a.Digest,
		s.TimeValue(time.Now()))
	if err != nil {
		return false, fmt.Errorf("store: add approval %s: %w", ref, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: add approval %s: %w", ref, err)
	}
	return n == 1, nil
}

// Approvals lists a ticket's stored approvals in the order they were given.
func (s *Store) Approvals(ctx context.Context, q Querier, ref bridge.Ref) ([]policy.Approval, error) {
	rows, err := q.QueryContext(ctx, s.Rebind(`SELECT approver, decision, reason, at, channel, source_user, digest
		FROM approvals WHERE source = ? AND ticket_key = ? ORDER BY at, id`), ref.Source, ref.Key)
	if err != nil {
		return nil, fmt.Errorf("store: approvals %s: %w", ref, err)
	}
	defer rows.Close()
	var out []policy.Approval
	for rows.Next() {
		var a policy.Approval
		if err := rows.Scan(&a.By, &a.Decision, &a.Reason, TimeScanner(&a.At), &a.Channel, &a.SourceUser, &a.Digest); err != nil {
			return nil, fmt.Errorf("store: approvals %s: %w", ref, err)
		}
		out = append(out, a)
	}
	return out, rowsErr(rows, "approvals")
}
