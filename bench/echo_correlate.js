// echo with and without correlate, WebSocket class (xk6-ws only: stock k6
// rejects the param): BENCH_VUS VUs keep one socket each and do sequential
// round trips of a small JSON message with an id for BENCH_DURATION_MS.
// BENCH_CORRELATE picks the param: "none" (default), "fifo" or "json"
// (matched by "id"). Not run by benchrun: run it by hand, as
// docs/performance.md ("The cost of correlate") says.
import { WebSocket } from 'k6/websockets';
import { baseURL, envInt, errors, ms, record } from './lib.js';

const vus = envInt('BENCH_VUS', 10);
const durationMs = envInt('BENCH_DURATION_MS', 5000);
const mode = __ENV.BENCH_CORRELATE || 'none';
const params = {
  none: {},
  fifo: { correlate: { fifo: true } },
  json: { correlate: { request: { json: 'id' }, reply: { json: 'id' } } },
}[mode];
if (!params) {
  throw new Error(`BENCH_CORRELATE must be none, fifo or json, got "${mode}"`);
}

export const options = {
  scenarios: {
    echo: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: ms(durationMs + 60000) },
  },
};

export default function () {
  const socket = new WebSocket(`${baseURL()}/echo`, null, params);
  let id = 0;
  let count = 0;
  let done = false;
  const send = () => socket.send(`{"id":${id++},"pad":"0123456789abcdef"}`);
  socket.onopen = () => {
    const start = Date.now();
    send();
    setTimeout(() => {
      if (done) {
        return;
      }
      done = true;
      record(count, Date.now() - start);
      socket.close();
    }, durationMs);
  };
  socket.onmessage = () => {
    if (!done) {
      count++;
      send();
    }
  };
  socket.onclose = () => {
    if (!done) {
      done = true;
      errors.add(1);
    }
  };
}
