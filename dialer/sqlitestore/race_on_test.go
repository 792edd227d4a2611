//go:build race

package sqlitestore

// raceOn: the race detector slows SQLite's callers several times over;
// the long tests shrink their data.
const raceOn = true
