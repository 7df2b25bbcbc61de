// flood, WebSocket class: the server pushes BENCH_FLOOD_COUNT text messages of
// BENCH_MSG_SIZE bytes to one socket as fast as it can; the script counts what
// it receives until BENCH_DURATION_MS have passed or every message is in.
import { WebSocket } from 'k6/websockets';
import { baseURL, envInt, errors, ms, record } from './lib.js';

const durationMs = envInt('BENCH_DURATION_MS', 3000);
const size = envInt('BENCH_MSG_SIZE', 64);
const total = envInt('BENCH_FLOOD_COUNT', 1000000);

export const options = {
  scenarios: {
    flood: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: ms(durationMs + 120000) },
  },
};

export default function () {
  const socket = new WebSocket(`${baseURL()}/push?count=${total}&interval=0&binary=false&size=${size}`);
  let count = 0;
  let start = 0;
  let timer;
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      clearTimeout(timer);
      record(count, Date.now() - start);
      socket.close();
    }
  };
  socket.onopen = () => {
    start = Date.now();
    timer = setTimeout(finish, durationMs);
  };
  socket.onmessage = () => {
    if (!done && ++count === total) {
      finish();
    }
  };
  socket.onclose = () => {
    if (!done) {
      done = true;
      errors.add(1);
    }
  };
}
