package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
)

func init() {
	register("audit verify", "verify the hash chain (and signatures) of the audit log", runAuditVerify)
	register("audit export", "export audit records as JSON lines or CSV", runAuditExport)
	register("audit pubkey", "print the public key of the audit signing key", runAuditPubkey)
}

// storeFlags are the database flags every audit command takes.
type storeFlags struct {
	dbURL   *string
	dataDir *string
}

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	dataDir := os.Getenv("BRIDGE_DATA_DIR")
	if dataDir == "" {
		dataDir = "./data"
	}
	return storeFlags{
		dbURL:   fs.String("db", os.Getenv("BRIDGE_DATABASE_URL"), "PostgreSQL URL (env BRIDGE_DATABASE_URL); empty: the SQLite file in --data-dir"),
		dataDir: fs.String("data-dir", dataDir, "directory of the SQLite database bridge.db (env BRIDGE_DATA_DIR)"),
	}
}

// open opens an existing store. A missing SQLite file is an error here:
// verifying a database that Open would create empty proves nothing.
func (f storeFlags) open(ctx context.Context) (*store.Store, error) {
	if !strings.HasPrefix(*f.dbURL, "postgres://") && !strings.HasPrefix(*f.dbURL, "postgresql://") {
		path := filepath.Join(*f.dataDir, "bridge.db")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no database at %s (set --data-dir, BRIDGE_DATA_DIR or --db)", path)
		}
	}
	st, err := store.Open(ctx, store.Config{DataDir: *f.dataDir, DatabaseURL: *f.dbURL})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return st, nil
}

// runAuditVerify: bridge audit verify [--db URL|--data-dir DIR] [--pubkey B64]
func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", stderr)
	sf := addStoreFlags(fs)
	pubFlag := fs.String("pubkey", os.Getenv("BRIDGE_AUDIT_PUBLIC_KEY"), "base64 Ed25519 public key to check signatures with (env BRIDGE_AUDIT_PUBLIC_KEY; default: derived from BRIDGE_AUDIT_SIGNING_KEY)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	pub, err := verifyKey(*pubFlag)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	st, err := sf.open(ctx)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	defer st.Close()
	rep, err := audit.Verify(ctx, st, pub)
	var te *audit.TamperError
	if errors.As(err, &te) {
		fmt.Fprintf(stdout, "FAIL: record %d: %s (%d records verified before it)\n", te.Seq, te.Reason, rep.Records)
		return exitError{code: 1}
	}
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	sig := "signatures not checked (no public key)"
	if pub != nil {
		sig = fmt.Sprintf("%d signed", rep.Signed)
	}
	fmt.Fprintf(stdout, "ok: %d records, %s, head %s\n", rep.Records, sig, rep.Head)
	return nil
}

// verifyKey is the public key to verify with: the flag, else the one of
// the signing key in the environment, else none.
func verifyKey(flagValue string) (ed25519.PublicKey, error) {
	if flagValue != "" {
		return audit.ParsePublicKey(flagValue)
	}
	if s := os.Getenv("BRIDGE_AUDIT_SIGNING_KEY"); s != "" {
		key, err := audit.ParseSigningKey(s)
		if err != nil {
			return nil, fmt.Errorf("BRIDGE_AUDIT_SIGNING_KEY: %w", err)
		}
		return key.Public().(ed25519.PublicKey), nil
	}
	return nil, nil
}

// runAuditExport: bridge audit export [--since T] [--until T] [--format jsonl|csv] [--out FILE]
func runAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit export", stderr)
	sf := addStoreFlags(fs)
	sinceFlag := fs.String("since", "", "first time included: RFC 3339 or YYYY-MM-DD (default: the beginning)")
	untilFlag := fs.String("until", "", "first time excluded: RFC 3339 or YYYY-MM-DD (default: no end)")
	format := fs.String("format", audit.FormatJSONL, "jsonl or csv")
	out := fs.String("out", "", "write to this file instead of stdout")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	since, err := parseBound("--since", *sinceFlag)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	until, err := parseBound("--until", *untilFlag)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	if *format != audit.FormatJSONL && *format != audit.FormatCSV {
		return exitError{code: 2, msg: fmt.Sprintf("--format %q: want jsonl or csv", *format)}
	}
	st, err := sf.open(ctx)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	defer st.Close()
	w, finish, err := output(*out, stdout)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	err = audit.Export(ctx, st, since, until, *format, w)
	if err = finish(err); err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	return nil
}

// runAuditPubkey: bridge audit pubkey [--key-file FILE]
func runAuditPubkey(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit pubkey", stderr)
	keyFile := fs.String("key-file", "", "file holding the base64 signing key (default: env BRIDGE_AUDIT_SIGNING_KEY)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	secret := os.Getenv("BRIDGE_AUDIT_SIGNING_KEY")
	from := "BRIDGE_AUDIT_SIGNING_KEY"
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return exitError{code: 1, msg: err.Error()}
		}
		secret, from = string(b), *keyFile
	}
	if strings.TrimSpace(secret) == "" {
		return exitError{code: 2, msg: "no signing key: set BRIDGE_AUDIT_SIGNING_KEY or pass --key-file"}
	}
	key, err := audit.ParseSigningKey(secret)
	if err != nil {
		return exitError{code: 1, msg: from + ": " + err.Error()}
	}
	fmt.Fprintln(stdout, audit.PublicKeyString(key.Public().(ed25519.PublicKey)))
	return nil
}

// noArgs parses flags and refuses positional arguments.
func noArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) > 0 {
		return exitError{code: 2, msg: fmt.Sprintf("%s: unexpected argument %q", fs.Name(), pos[0])}
	}
	return nil
}

// parseBound reads an RFC 3339 time or a date (midnight UTC); "" is open.
func parseBound(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2026-06-01T09:00:00Z) or a date (2026-06-01)", name, s)
}

// output returns where to write and a finish func that flushes and, for a
// file, closes it (removing it when the export failed).
func output(path string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if path == "" {
		bw := bufio.NewWriter(stdout)
		return bw, func(err error) error {
			if ferr := bw.Flush(); err == nil {
				err = ferr
			}
			return err
		}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriter(f)
	return bw, func(err error) error {
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
		return err
	}, nil
}
