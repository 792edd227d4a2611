package sqlitestore

import (
	"context"
	"crypto/sha256"
	"database/sql"
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
}

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
		out = append(out, migration{version: v, name: e.Name(), sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlitestore: migration %s: versions must run 1, 2, 3... without gaps", m.name)
		}
	}
	return out, nil
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
	st := SchemaStatus{Latest: len(all)}
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
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	var done []string
	for _, m := range all {
		ran := false
		err := s.tx(ctx, func(tx *sql.Tx) error {
			applied, err := s.applied(ctx, tx)
			if err != nil {
				return err
			}
			for v := range applied {
				if v > len(all) {
					return fmt.Errorf("%w: database has version %d, binary knows %d", ErrSchemaTooNew, v, len(all))
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
