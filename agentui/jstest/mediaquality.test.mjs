// The softphone's figures and words (static/js/mediaquality.js), checked
// with Node's test runner: `node --test agentui/jstest/` (agentui's Go
// tests run it when node is installed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { micError, qualityWord, renewDelay, retryDelay, sampleStats, wordOf } from '../static/js/mediaquality.js';

test('qualityWord', () => {
  for (const [in_, want] of [
    [{}, ''],
    [{ loss: 0, jitter: 3, rtt: 40 }, 'Good'],
    [{ loss: 0.9, jitter: 29, rtt: 299 }, 'Good'],
    [{ loss: 1 }, 'Fair'],
    [{ jitter: 30 }, 'Fair'],
    [{ rtt: 300 }, 'Fair'],
    [{ loss: 5, jitter: 3, rtt: 40 }, 'Poor'],
    [{ loss: 0, jitter: 60 }, 'Poor'],
    [{ rtt: 600 }, 'Poor'],
    [{ loss: NaN, jitter: 4 }, 'Good'],
  ]) {
    assert.equal(qualityWord(in_), want, JSON.stringify(in_));
  }
});

test('sampleStats reads loss over the interval, jitter and round trip', () => {
  const report = (lost, received, extra = []) => [
    { type: 'inbound-rtp', kind: 'audio', packetsLost: lost, packetsReceived: received, jitter: 0.0031 },
    { type: 'inbound-rtp', kind: 'video', packetsLost: 999, packetsReceived: 1 },
    ...extra,
  ];
  const first = sampleStats(report(2, 498, [{ type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.0424 }]));
  assert.deepEqual(first.sample, { packet_loss_pct: 0.4, jitter_ms: 3.1, rtt_ms: 42 });
  assert.equal(wordOf(first.sample), 'Good');
  // 30 lost of the next 250: 12 %.
  const next = sampleStats(report(32, 718, [
    { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.1 },
  ]), first.counters);
  assert.deepEqual(next.sample, { packet_loss_pct: 12, jitter_ms: 3.1, rtt_ms: 100 });
  assert.equal(wordOf(next.sample), 'Poor');
  // Nothing received in the interval: no loss figure.
  assert.deepEqual(sampleStats(report(32, 718), next.counters).sample, { jitter_ms: 3.1 });
  assert.deepEqual(sampleStats([]).sample, {});
});

test('micError says what to do', () => {
  for (const [name, want] of [
    ['NotAllowedError', /Allow it for this site/],
    ['NotFoundError', /No microphone was found/],
    ['OverconstrainedError', /No microphone was found/],
    ['NotReadableError', /another application/],
    ['TypeError', /https/],
    ['Weird', /Try again/],
  ]) {
    assert.match(micError({ name }), want, name);
  }
  assert.match(micError(null), /unknown error/);
  assert.match(micError({ name: 'NotAllowedError' }, 'Log in to phone again'), /then press Log in to phone again\.$/);
});

test('renewDelay and retryDelay', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const at = (s) => new Date(now + s * 1000).toISOString();
  assert.equal(renewDelay(at(600), now), 400_000); // two thirds of 10 min
  assert.equal(renewDelay(at(150), now), 90_000); // a minute before
  assert.equal(renewDelay(at(30), now), 5_000);
  assert.equal(renewDelay(at(-10), now), 5_000);
  assert.equal(renewDelay('not a time', now), 60_000);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map(retryDelay), [2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});
