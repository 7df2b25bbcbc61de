// echo, WebSocket class: BENCH_VUS VUs keep one socket each and do sequential
// round trips (send, wait for the echo, send the next) for BENCH_DURATION_MS.
import { WebSocket } from 'k6/websockets';
import { baseURL, envInt, errors, ms, payload, record } from './lib.js';

const vus = envInt('BENCH_VUS', 10);
const durationMs = envInt('BENCH_DURATION_MS', 5000);
const message = payload(envInt('BENCH_MSG_SIZE', 32));

export const options = {
  scenarios: {
    echo: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: ms(durationMs + 60000) },
  },
};

export default function () {
  const socket = new WebSocket(`${baseURL()}/echo`);
  let count = 0;
  let done = false;
  socket.onopen = () => {
    const start = Date.now();
    socket.send(message);
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
      socket.send(message);
    }
  };
  socket.onclose = () => {
    if (!done) {
      done = true;
      errors.add(1);
    }
  };
}
