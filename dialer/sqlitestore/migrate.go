package sqlitestore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was migrated by a newer binary.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// ErrMigrationChanged means an applied migration's file no longer matches
// what was applied; migrations are append-only.
var ErrMigrationChanged = errors.New("applied migration was modified")

type migration struct {
	version  int
	name     string
	sql      string
	checksum string
	// noForeignKeys: the file starts with the line "-- foreign_keys: off"
	// and runs with foreign keys off (a table rebuilt to change a
	// constraint: dropping the old one must not cascade). The references
	// are checked before it commits all the same.
	noForeignKeys bool
}

// foreignKeysOff is the first line of a migration that runs with foreign
// keys off.
const foreignKeysOff = "-- foreign_keys: off\n"

// migrations returns the embedded files NNNN_name.sql in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlitestore: bad migration file name %q (want NNNN_name.sql)", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, migration{version: v, name: e.Name(), sql: string(b), checksum: hex.EncodeToString(sum[:]),
			noForeignKeys: strings.HasPrefix(string(b), foreignKeysOff)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	// Only the order matters to applying them, so a number may be
	// missing; two files with one number would be applied in no set order.
	for i, m := range out {
		if m.version < 1 || (i > 0 && m.version == out[i-1].version) {
			return nil, fmt.Errorf("sqlitestore: migration %s: versions must be 1, 2, 3... each used once", m.name)
		}
	}
	return out, nil
}

// latest is the highest version in ms (0 for none).
func latest(ms []migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT`

// SchemaStatus reports the database's schema version against the binary's.
type SchemaStatus struct {
	// Current is the highest applied version (0 for an empty database).
	Current int
	// Latest is the highest version this binary knows.
	Latest int
	// Pending names the migrations Migrate would apply.
	Pending []string
}

// SchemaVersion reports the schema state, for `agentswitch migrate -status`.
func (s *Store) SchemaVersion(ctx context.Context) (SchemaStatus, error) {
	all, err := migrations()
	if err != nil {
		return SchemaStatus{}, err
	}
	applied, err := s.applied(ctx, s.r)
	if err != nil {
		return SchemaStatus{}, err
	}
	st := SchemaStatus{Latest: latest(all)}
	for v := range applied {
		st.Current = max(st.Current, v)
	}
	for _, m := range all {
		if _, ok := applied[m.version]; !ok {
			st.Pending = append(st.Pending, m.name)
		}
	}
	if st.Current > st.Latest {
		return st, fmt.Errorf("%w: database at %d, binary knows %d", ErrSchemaTooNew, st.Current, st.Latest)
	}
	return st, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// applied maps version -> checksum of applied migrations.
func (s *Store) applied(ctx context.Context, q querier) (map[int]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, checksum FROM schema_migrations`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return map[int]string{}, nil
		}
		return nil, err
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, err
		}
		out[v] = sum
	}
	return out, rows.Err()
}

// Migrate applies pending migrations in order, each in its own transaction
// together with its version row, and returns the names it applied. Running
// it again is a no-op; two processes migrating at once serialize on the
// write lock and the second finds nothing to do.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	return s.migrate(ctx, 0)
}

// migrate applies the pending migrations up to version upTo (0: all).
func (s *Store) migrate(ctx context.Context, upTo int) ([]string, error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	known := latest(all)
	if upTo > 0 {
		all = slices.DeleteFunc(all, func(m migration) bool { return m.version > upTo })
	}
	if _, err := s.w.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	var done []string
	for _, m := range all {
		ran := false
		run := s.tx
		if m.noForeignKeys {
			run = s.txForeignKeysOff
		}
		err := run(ctx, func(tx *sql.Tx) error {
			applied, err := s.applied(ctx, tx)
			if err != nil {
				return err
			}
			for v := range applied {
				if v > known {
					return fmt.Errorf("%w: database has version %d, binary knows %d", ErrSchemaTooNew, v, known)
				}
			}
			if sum, ok := applied[m.version]; ok {
				if sum != m.checksum {
					return fmt.Errorf("%w: %s", ErrMigrationChanged, m.name)
				}
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if err := foreignKeyCheck(ctx, tx); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			_, err = tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
				m.version, m.name, m.checksum, s.now().UnixMilli())
			ran = true
			return err
		})
		if err != nil {
			return done, fmt.Errorf("sqlitestore: migrate: %w", err)
		}
		if ran {
			done = append(done, m.name)
		}
	}
	return done, nil
}

// txForeignKeysOff runs fn in one write transaction on the writer's
// connection with foreign keys off (they can only be switched outside a
// transaction), and on again afterwards. A connection that cannot be put
// back is discarded, never left without them.
func (s *Store) txForeignKeysOff(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() {
		var on int
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
		if rerr == nil {
			rerr = conn.QueryRowContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys").Scan(&on)
		}
		if rerr == nil && on != 1 {
			rerr = errors.New("foreign keys stayed off")
		}
		if rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("foreign keys back on: %w", rerr))
		}
		conn.Close()
	}()
	var on int
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
		return err
	}
	if on != 0 {
		return errors.New("foreign keys could not be switched off")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// foreignKeyCheck fails if a migration left dangling references.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		return errors.New("foreign key check failed")
	}
	return rows.Err()
}
