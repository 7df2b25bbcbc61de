// flood, k6/ws: the server pushes BENCH_FLOOD_COUNT text messages of
// BENCH_MSG_SIZE bytes to one socket as fast as it can; the script counts what
// it receives until BENCH_DURATION_MS have passed or every message is in.
import ws from 'k6/ws';
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
  let count = 0;
  let done = false;
  ws.connect(`${baseURL()}/push?count=${total}&interval=0&binary=false&size=${size}`, null, (socket) => {
    let start = 0;
    const finish = () => {
      if (!done) {
        done = true;
        record(count, Date.now() - start);
        socket.close();
      }
    };
    socket.on('open', () => {
      start = Date.now();
      socket.setTimeout(finish, durationMs);
    });
    socket.on('message', () => {
      if (!done && ++count === total) {
        finish();
      }
    });
  });
  if (!done) {
    errors.add(1);
  }
}
