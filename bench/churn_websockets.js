// churn, WebSocket class: BENCH_VUS VUs repeat connect, one echo, close for
// BENCH_DURATION_MS. Each completed session adds 1 to bench_ops.
import { WebSocket } from 'k6/websockets';
import { baseURL, envInt, errors, ms, ops, payload } from './lib.js';

const vus = envInt('BENCH_VUS', 10);
const durationMs = envInt('BENCH_DURATION_MS', 5000);
const message = payload(envInt('BENCH_MSG_SIZE', 32));

export const options = {
  scenarios: {
    churn: { executor: 'constant-vus', vus, duration: ms(durationMs), gracefulStop: '30s' },
  },
};

export default function () {
  const socket = new WebSocket(`${baseURL()}/echo`);
  let echoed = false;
  socket.onopen = () => socket.send(message);
  socket.onmessage = () => {
    echoed = true;
    socket.close();
  };
  socket.onclose = () => {
    if (echoed) {
      ops.add(1);
    } else {
      errors.add(1);
    }
  };
}
