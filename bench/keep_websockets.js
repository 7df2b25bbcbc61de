// keep, WebSocket class, reconnecting: BENCH_VUS VUs run BENCH_ITERATIONS
// iterations each; every iteration opens a socket to /echo, sends one request,
// waits for its answer and closes. Each answered iteration adds 1 to
// bench_ops, so the runner can require exactly VUs × iterations. Runs on
// stock k6 too: it is the stock side of both keep rows.
import { WebSocket } from 'k6/websockets';
import { baseURL, envFlag, envInt, errors, ops, payload } from './lib.js';

const vus = envInt('BENCH_VUS', 10);
const iterations = envInt('BENCH_ITERATIONS', 1000);
const message = payload(envInt('BENCH_MSG_SIZE', 32));
const baseline = envFlag('BENCH_BASELINE');

export const options = {
  scenarios: {
    keep: { executor: 'per-vu-iterations', vus, iterations, maxDuration: '150s' },
  },
};

export default function () {
  if (baseline) {
    return;
  }
  const socket = new WebSocket(`${baseURL()}/echo`);
  let answered = false;
  socket.onopen = () => socket.send(message);
  socket.onmessage = (e) => {
    answered = e.data === message;
    socket.close();
  };
  socket.onerror = () => socket.close();
  socket.onclose = () => {
    if (answered) {
      ops.add(1);
    } else {
      errors.add(1);
    }
  };
}
