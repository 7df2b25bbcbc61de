// idle, k6/ws: BENCH_VUS VUs each open one socket and hold it for
// BENCH_HOLD_MS, then close it. With BENCH_BASELINE=1 the same VUs only sleep
// for BENCH_HOLD_MS: the runner subtracts that run's peak RSS.
import ws from 'k6/ws';
import { sleep } from 'k6';
import { baseURL, envFlag, envInt, errors, ms, sockets } from './lib.js';

const vus = envInt('BENCH_VUS', 1000);
const holdMs = envInt('BENCH_HOLD_MS', 3000);
const baseline = envFlag('BENCH_BASELINE');

export const options = {
  scenarios: {
    idle: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: ms(holdMs + 120000) },
  },
};

export default function () {
  if (baseline) {
    sleep(holdMs / 1000);
    return;
  }
  let held = false;
  ws.connect(`${baseURL()}/echo`, null, (socket) => {
    socket.on('open', () => {
      socket.setTimeout(() => {
        held = true;
        socket.close();
      }, holdMs);
    });
  });
  if (held) {
    sockets.add(1);
  } else {
    errors.add(1);
  }
}
