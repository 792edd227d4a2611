// Package sqlitestore keeps what must last (users, agents, campaigns, leads,
// call records, dispositions, callbacks, API keys, audit) in SQLite through
// database/sql and mattn/go-sqlite3.
//
// One connection writes (SQLite allows one writer; a single connection
// turns contention into queueing in Go instead of SQLITE_BUSY), a small pool
// reads, and WAL lets the readers run beside the writer.
//
// A lead import therefore never holds the writer for its length: it checks
// its rows on the read pool and writes them in batches of their own
// transactions, each lead marked with its import; every reader of leads
// leaves out those of an import not committed, and committing is one update
// of the import's record. A staging table would have needed a copy into
// leads at the end, as long as the import's writes; a rolled-back import's
// leads are deleted in batches instead.
package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/crypto/bcrypt"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// Options configure a Store; zero values take the defaults.
type Options struct {
	// BusyTimeout is how long a statement waits for another process's
	// lock (the migrate CLI beside a running service). Default 5s.
	BusyTimeout time.Duration
	// ReadConns sizes the read pool. Default 4.
	ReadConns int
	// BcryptCost for user passwords. Default bcrypt.DefaultCost; tests
	// lower it.
	BcryptCost int
	// Now stamps created_at/updated_at. Default clock.System.
	Now func() time.Time
}

// Store is the SQLite implementation of the durable stores: dialer's
// (Directory, CampaignStore, CallLog, AuditLog, PBXStore, QueueStore) and the stores of
// identity's records the API declares (users, API keys, web sessions).
type Store struct {
	w, r *sql.DB
	file string
	cost int
	now  func() time.Time
	// compareHash is bcrypt's; tests watch it.
	compareHash func(hash, password []byte) error
	// dummy is a hash of this store's cost, compared against for an
	// unknown user; made on first use (bcrypt at the default cost takes
	// tens of milliseconds).
	dummyOnce sync.Once
	dummy     []byte
	// importing holds a token while an import (or its recovery) runs.
	importing chan struct{}
	settings  settingsCache
	group     group
}

var (
	_ dialer.Directory     = (*Store)(nil)
	_ dialer.CampaignStore = (*Store)(nil)
	_ dialer.CallLog       = (*Store)(nil)
	_ dialer.AuditLog      = (*Store)(nil)
)

// Open opens (creating if needed) the database at path. It does not migrate;
// call Migrate.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlitestore: need a file path, got %q", path)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	if o.Now == nil {
		o.Now = clock.System()
	}
	// A relative path would become the URI's authority ("file://var/x.db").
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	base := (&url.URL{Scheme: "file", Path: abs}).String()
	// A statement cache: preparing against this schema (checks, triggers)
	// costs more than running most statements.
	// No mutex of SQLite's around each call: database/sql already hands
	// a connection to one goroutine at a time.
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on&_synchronous=NORMAL&_stmt_cache_size=128&_mutex=no", o.BusyTimeout.Milliseconds())
	// synchronous=NORMAL in WAL mode survives a killed process (R3); only
	// a power cut can lose the last commits.
	w, err := sql.Open(writerDriver(), base+"?"+common+"&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("sqlitestore: %s: journal_mode is %q, want wal", path, mode)
	}
	r, err := sql.Open("sqlite3", base+"?"+common+"&_query_only=on")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(o.ReadConns)
	r.SetMaxIdleConns(o.ReadConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	return &Store{w: w, r: r, file: path, cost: o.BcryptCost, now: o.Now, compareHash: bcrypt.CompareHashAndPassword,
		importing: make(chan struct{}, 1)}, nil
}

// writerDriver is the driver of the writer connection: sqlite3 with the
// connection's temporary files in memory. Every write inside a batch
// runs under a savepoint, whose journal (the pages as they were before
// it) SQLite otherwise writes to a file under /var/tmp: about half the
// write calls of a dialer's call records. Only the writer, which builds
// no large temporary tables or sorts; readers keep theirs on disk.
func writerDriver() string {
	registerWriter.Do(func() {
		sql.Register("sqlite3_writer", &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
			return err
		}})
	})
	return "sqlite3_writer"
}

var registerWriter sync.Once

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// tx runs fn in one write transaction (BEGIN IMMEDIATE); any error rolls
// everything back. Inside Batch, fn runs in the batch's transaction under
// a savepoint, so its failure undoes its own writes only.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && b.s == s {
		// One name for every savepoint: the statements stay in the
		// connection's cache, and nested ones still unwind innermost first.
		if _, err := b.tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			return err
		}
		if err := fn(b.tx); err != nil {
			if _, rerr := b.tx.ExecContext(ctx, "ROLLBACK TO w"); rerr != nil {
				return errors.Join(err, rerr)
			}
			_, _ = b.tx.ExecContext(ctx, "RELEASE w")
			return err
		}
		_, err := b.tx.ExecContext(ctx, "RELEASE w")
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wq is where a single-statement write goes: the batch's transaction
// inside Batch (the one writer connection is held by it), the pool otherwise.
func (s *Store) wq(ctx context.Context) dbtx {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && b.s == s {
		return b.tx
	}
	return s.w
}

type batchKey struct{}

type batch struct {
	s  *Store
	tx *sql.Tx
}

// Batch runs fn with a context whose store writes share one transaction,
// committed when fn returns (each write still succeeds or fails on its
// own). Call records arrive in bursts of small writes; one commit for a
// burst keeps SQLite off the hot path.
func (s *Store) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(batchKey{}).(*batch); ok {
		return fn(ctx)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ferr := fn(context.WithValue(ctx, batchKey{}, &batch{s: s, tx: tx}))
	if err := tx.Commit(); err != nil {
		return errors.Join(ferr, err)
	}
	return ferr
}

// group gathers the writes that arrive while one transaction commits, to
// run in the next one (group commit).
type group struct {
	mu      sync.Mutex
	pending []groupWrite
	running bool
	txs     atomic.Int64 // transactions run, for tests
}

type groupWrite struct {
	ctx  context.Context // the caller's, without its cancellation
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// grouped runs fn in a write transaction shared with the other grouped
// writes that arrive meanwhile, each under its own savepoint, so a write
// that fails undoes only itself. Under load one commit then serves many
// callers (a dialer creating hundreds of calls a second); alone, a write
// waits for nothing. fn runs without the caller's cancellation, which
// would abort the shared transaction, and the caller always learns the
// result: a write it gave up on may still have been made.
func (s *Store) grouped(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && b.s == s {
		return s.tx(ctx, func(tx *sql.Tx) error { return fn(ctx, tx) })
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w := groupWrite{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	s.group.mu.Lock()
	s.group.pending = append(s.group.pending, w)
	start := !s.group.running
	s.group.running = true
	s.group.mu.Unlock()
	if start {
		go s.commitGroups()
	}
	return <-w.done
}

// commitGroups commits the pending writes, a transaction at a time, until
// none is left.
func (s *Store) commitGroups() {
	ctx := context.Background()
	for {
		s.group.mu.Lock()
		ws := s.group.pending
		s.group.pending = nil
		if len(ws) == 0 {
			s.group.running = false
			s.group.mu.Unlock()
			return
		}
		s.group.mu.Unlock()
		s.group.txs.Add(1)
		if len(ws) == 1 {
			ws[0].done <- s.tx(ctx, func(tx *sql.Tx) error { return ws[0].fn(ws[0].ctx, tx) })
			continue
		}
		errs := make([]error, len(ws))
		err := s.Batch(ctx, func(ctx context.Context) error {
			for i, w := range ws {
				errs[i] = s.tx(ctx, func(tx *sql.Tx) error { return w.fn(w.ctx, tx) })
			}
			return nil
		})
		for i, w := range ws {
			if err != nil {
				// Not committed: nothing of any write was made.
				w.done <- err
			} else {
				w.done <- errs[i]
			}
		}
	}
}

// ms converts a time to the stored form; the zero time is NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// nullID stores an optional reference: 0 is NULL.
func nullID[T ~int64](id T) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jsonOr(b json.RawMessage, def string) string {
	if len(b) == 0 {
		return def
	}
	return string(b)
}

var checkName = regexp.MustCompile(`CHECK constraint failed: ([a-z0-9_]+)`)

// mapErr turns driver errors into the dialer sentinels. deleting says
// whether a foreign-key failure means "still referenced" (delete) or
// "refers to nothing" (insert/update).
func mapErr(err error, what string, deleting bool) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, dialer.ErrNotFound)
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch se.ExtendedCode {
	case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
		return fmt.Errorf("%s: %w: %v", what, dialer.ErrConflict, se)
	case sqlite3.ErrConstraintForeignKey:
		if deleting {
			return fmt.Errorf("%s: %w: other records refer to it", what, dialer.ErrInUse)
		}
		return fmt.Errorf("%s: %w: refers to a record that does not exist", what, dialer.ErrInvalid)
	case sqlite3.ErrConstraintCheck:
		field := "record"
		if m := checkName.FindStringSubmatch(se.Error()); m != nil {
			field = m[1]
		}
		return fmt.Errorf("%s: %w", what, &dialer.FieldError{Field: field, Reason: "rejected by the database"})
	case sqlite3.ErrConstraintNotNull:
		return fmt.Errorf("%s: %w: %v", what, dialer.ErrInvalid, se)
	case sqlite3.ErrConstraintTrigger:
		return fmt.Errorf("%s: %w: %v", what, dialer.ErrConflict, se)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// affected returns ErrNotFound when an UPDATE or DELETE matched nothing.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return mapErr(err, what, strings.HasPrefix(what, "delete"))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, dialer.ErrNotFound)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
