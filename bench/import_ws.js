// import, k6/ws: BENCH_VUS VUs whose script imports k6/ws and only sleeps
// BENCH_HOLD_MS: what the module costs a VU that does not use it. The runner
// compares the peak RSS with import_none.js.
import ws from 'k6/ws';
import { sleep } from 'k6';
import { envInt, ms } from './lib.js';

const vus = envInt('BENCH_VUS', 1000);
const holdMs = envInt('BENCH_HOLD_MS', 3000);

export const options = {
  scenarios: {
    import: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: ms(holdMs + 120000) },
  },
};

// imported names a use of the import that never runs, so that no bundler or
// linter drops it: the VUs only sleep.
export function imported() {
  return ws;
}

export default function () {
  sleep(holdMs / 1000);
}
