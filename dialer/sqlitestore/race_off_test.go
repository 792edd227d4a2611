//go:build !race

package sqlitestore

const raceOn = false
