// churn, k6/ws: BENCH_VUS VUs repeat connect, one echo, close for
// BENCH_DURATION_MS. Each completed session adds 1 to bench_ops.
import ws from 'k6/ws';
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
  let echoed = false;
  ws.connect(`${baseURL()}/echo`, null, (socket) => {
    socket.on('open', () => socket.send(message));
    socket.on('message', () => {
      echoed = true;
      socket.close();
    });
  });
  if (echoed) {
    ops.add(1);
  } else {
    errors.add(1);
  }
}
