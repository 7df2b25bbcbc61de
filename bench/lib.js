// Shared helpers for the benchmark scripts in this folder. Every script runs
// unchanged on stock k6 v1.8.1 and on the xk6-ws build; the runner
// (bench/cmd/benchrun) passes its settings as -e BENCH_* variables and reads
// the bench_* counters below from --summary-export.
import { Counter, Trend } from 'k6/metrics';

// Work units done inside the measured window: round trips, messages
// received or completed sessions, depending on the scenario.
export const ops = new Counter('bench_ops');
// Sum over sockets of each socket's measured window, in milliseconds.
export const windowMs = new Counter('bench_window_ms');
// Sockets that did their job (opened and, where asked, exchanged messages).
export const sockets = new Counter('bench_sockets');
// Sockets or sessions that failed to do their job.
export const errors = new Counter('bench_errors');
// When each socket opened, in milliseconds after its VU began opening (scale).
export const openedAfter = new Trend('bench_opened_after_ms');

// envInt reads a positive integer setting, or returns def when it is unset.
export function envInt(name, def) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') {
    return def;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return n;
}

// envFlag reads a boolean setting: "1" or "true" mean true.
export function envFlag(name) {
  const raw = __ENV[name];
  return raw === '1' || raw === 'true';
}

// baseURL is the target server, e.g. ws://127.0.0.1:8080, without a path.
export function baseURL() {
  const url = __ENV.BENCH_URL;
  if (!url) {
    throw new Error('BENCH_URL must be set to the target server, e.g. -e BENCH_URL=ws://127.0.0.1:8080');
  }
  return url.replace(/\/+$/, '');
}

// payload returns a text message of size bytes.
export function payload(size) {
  return 'x'.repeat(size);
}

// binaryPayload returns an ArrayBuffer of size bytes.
export function binaryPayload(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = i % 251;
  }
  return bytes.buffer;
}

// ms formats a duration in milliseconds for k6 options.
export function ms(n) {
  return `${n}ms`;
}

// record adds the result of one socket that worked for windowMillis.
export function record(count, windowMillis) {
  ops.add(count);
  windowMs.add(windowMillis);
  sockets.add(1);
}
