// import baseline: the VUs of import_ws.js and import_websockets.js without
// the import, sleeping BENCH_HOLD_MS; the runner subtracts its peak RSS.
import { sleep } from 'k6';
import { envInt, ms } from './lib.js';

const vus = envInt('BENCH_VUS', 1000);
const holdMs = envInt('BENCH_HOLD_MS', 3000);

export const options = {
  scenarios: {
    import: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: ms(holdMs + 120000) },
  },
};

export default function () {
  sleep(holdMs / 1000);
}
