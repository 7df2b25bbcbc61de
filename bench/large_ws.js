// large, k6/ws: one socket does BENCH_ROUNDTRIPS sequential round trips of a
// binary message of BENCH_MSG_SIZE bytes (send, wait for the echo, check its
// length, send the next). The window runs from open to the last echo.
import ws from 'k6/ws';
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
  let done = false;
  ws.connect(`${baseURL()}/echo`, null, (socket) => {
    let count = 0;
    let start = 0;
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
    socket.on('open', () => {
      start = Date.now();
      socket.sendBinary(message);
    });
    socket.on('binaryMessage', (data) => {
      if (done) {
        return;
      }
      if (data.byteLength !== size) {
        finish(false);
        return;
      }
      if (++count === roundTrips) {
        finish(true);
      } else {
        socket.sendBinary(message);
      }
    });
    socket.on('message', () => finish(false));
  });
  if (!done) {
    errors.add(1);
  }
}
