// large, WebSocket class: one socket does BENCH_ROUNDTRIPS sequential round
// trips of a binary message of BENCH_MSG_SIZE bytes (send, wait for the echo,
// check its length, send the next). The window runs from open to the last echo.
import { WebSocket } from 'k6/websockets';
import { baseURL, binaryPayload, envInt, errors, record } from './lib.js';

const size = envInt('BENCH_MSG_SIZE', 1 << 20);
const roundTrips = envInt('BENCH_ROUNDTRIPS', 200);
const message = binaryPayload(size);

export const options = {
  scenarios: {
    large: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '150s' },
  },
};

export default function () {
  const socket = new WebSocket(`${baseURL()}/echo`);
  socket.binaryType = 'arraybuffer';
  let count = 0;
  let start = 0;
  let done = false;
  const finish = (ok) => {
    if (done) {
      return;
    }
    done = true;
    if (ok) {
      record(count, Date.now() - start);
    } else {
      errors.add(1);
    }
    socket.close();
  };
  socket.onopen = () => {
    start = Date.now();
    socket.send(message);
  };
  socket.onmessage = (e) => {
    if (done) {
      return;
    }
    if (!(e.data instanceof ArrayBuffer) || e.data.byteLength !== size) {
      finish(false);
      return;
    }
    if (++count === roundTrips) {
      finish(true);
    } else {
      socket.send(message);
    }
  };
  socket.onclose = () => finish(false);
}
