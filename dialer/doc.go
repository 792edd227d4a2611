// Package dialer is the call-center domain: agents and their live state,
// calls, campaigns, leads, dispositions and callbacks.
//
// It holds pure state machines and rules and declares the store interfaces
// it needs; the Redis (live state) and SQLite (durable data) implementations
// live in the redisstore and sqlitestore subpackages. Nothing here talks to
// Redis, SQL, HTTP or the switch.
package dialer
