// echo, k6/ws: BENCH_VUS VUs keep one socket each and do sequential round
// trips (send, wait for the echo, send the next) for BENCH_DURATION_MS.
import ws from 'k6/ws';
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
  let count = 0;
  let done = false;
  ws.connect(`${baseURL()}/echo`, null, (socket) => {
    socket.on('open', () => {
      const start = Date.now();
      socket.send(message);
      socket.setTimeout(() => {
        done = true;
        record(count, Date.now() - start);
        socket.close();
      }, durationMs);
    });
    socket.on('message', () => {
      if (!done) {
        count++;
        socket.send(message);
      }
    });
  });
  if (!done) {
    errors.add(1);
  }
}
