// keep, WebSocketStream kept across iterations (xk6-ws only): BENCH_VUS VUs
// run BENCH_ITERATIONS iterations each; a VU opens one stream to /echo in its
// first iteration and keeps it in module scope; every iteration writes one
// request, awaits the answer and checks it. Each answered iteration adds 1 to
// bench_ops, so the runner can require exactly VUs × iterations.
import { WebSocketStream } from 'k6/websockets';
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

// The VU's stream, opened by its first iteration.
let session;

export default async function () {
  if (baseline) {
    return;
  }
  try {
    if (!session) {
      const { readable, writable } = await new WebSocketStream(`${baseURL()}/echo`).opened;
      session = { reader: readable.getReader(), writer: writable.getWriter() };
    }
    await session.writer.write(message);
    const { value, done } = await session.reader.read();
    if (!done && value === message) {
      ops.add(1);
    } else {
      errors.add(1);
    }
  } catch (e) {
    errors.add(1);
    throw e;
  }
}
