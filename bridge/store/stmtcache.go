package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// cachedDriver is modernc's SQLite driver with a prepared-statement cache
// per connection. Without it every query is parsed again: profiles of the
// pipeline showed 40% of CPU in SQLite's parser, most of it for River's
// and the store's few dozen distinct statements.
const cachedDriver = "sqlite-stmtcache"

// stmtCacheSize bounds the cache per connection; River generates a few
// statement variants per batch size, so the bound matters.
const stmtCacheSize = 256

func init() { sql.Register(cachedDriver, cachingDriver{&sqlite.Driver{}}) }

type cachingDriver struct{ d driver.Driver }

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.d.Open(name)
	if err != nil {
		return nil, err
	}
	return newCachingConn(c), nil
}

// cachingConn forwards to the driver's connection and serves QueryContext
// and ExecContext from cached statements. database/sql uses a connection
// from one goroutine at a time, so the cache needs no lock; a statement
// still busy with open rows is bypassed, never shared.
type cachingConn struct {
	driver.Conn
	stmts map[string]*list.Element
	lru   *list.List
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	busy  bool
}

func newCachingConn(c driver.Conn) *cachingConn {
	return &cachingConn{Conn: c, stmts: map[string]*list.Element{}, lru: list.New()}
}

var (
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).stmt.Close())
	}
	c.stmts, c.lru = nil, nil
	return errors.Join(append(errs, c.Conn.Close())...)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil || cs == nil {
		if err != nil && !errors.Is(err, errNotCacheable) {
			return nil, err
		}
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	cs.busy = true
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		cs.busy = false
		return nil, err
	}
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil || cs == nil {
		if err != nil && !errors.Is(err, errNotCacheable) {
			return nil, err
		}
		return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	cs.busy = true
	defer func() { cs.busy = false }()
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

var errNotCacheable = errors.New("statement not cacheable")

// stmt returns the cached statement for query, preparing it on first use;
// nil when the cached one is busy (nested use of the same query).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		// Let the plain path report the error (and run multi-statement scripts).
		return nil, errNotCacheable
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	if c.lru.Len() > stmtCacheSize {
		old := c.lru.Back()
		oc := old.Value.(*cachedStmt)
		if !oc.busy {
			c.lru.Remove(old)
			delete(c.stmts, oc.query)
			oc.stmt.Close()
		}
	}
	return cs, nil
}

// cachedRows marks its statement free again when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}
