package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// sqliteReadConns bounds the read pool. WAL readers never block the writer.
const sqliteReadConns = 4

// sqlitePragmas are applied to every connection:
//   - journal_mode(WAL): readers run beside the single writer;
//   - busy_timeout: wait for the write lock (another process, a checkpoint)
//     instead of failing at once with SQLITE_BUSY;
//   - foreign_keys(1), synchronous(NORMAL): integrity checks; NORMAL is
//     durable across application crashes in WAL mode and much faster than FULL.
var sqlitePragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"foreign_keys(1)",
	"synchronous(NORMAL)",
}

func openSQLite(ctx context.Context, cfg Config) (*Store, error) {
	dir := cfg.DataDir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, "bridge.db"))
	if err != nil {
		return nil, fmt.Errorf("store: data dir: %w", err)
	}
	// _txlock=immediate: BEGIN takes the write lock up front, so a
	// transaction that reads then writes never fails on lock upgrade
	// (SQLITE_BUSY_SNAPSHOT ignores busy_timeout).
	db, err := sql.Open(cachedDriver, sqliteDSN(path, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	// Create the file and switch it to WAL before the read pool opens it
	// with query_only, which could not change the journal mode.
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	read, err := sql.Open(cachedDriver, sqliteDSN(path, "_pragma=query_only(1)"))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite read pool: %w", err)
	}
	read.SetMaxOpenConns(sqliteReadConns)
	read.SetMaxIdleConns(sqliteReadConns)
	read.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{
		db:      db,
		read:    read,
		dialect: SQLite,
		path:    path,
		river:   riversqlite.New(db),
	}, nil
}

func sqliteDSN(path string, extra string) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode() + "&" + extra
}
