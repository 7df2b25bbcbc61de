// Many VUs of both APIs echoing through latency and tiny TCP segments until
// the end of DURATION, cut with gracefulStop 0s. Run by
// internal/e2e/netfault_test.go.
import { crowd as socketAPI } from './socket-api.js';
import { crowd as webSocketClass } from './websocket-class.js';

const vus = Number(__ENV.VUS_PER_API);

export const options = {
	scenarios: {
		socketAPI: { executor: 'constant-vus', exec: 'socketAPI', vus: vus, duration: __ENV.DURATION, gracefulStop: '0s' },
		webSocketClass: {
			executor: 'constant-vus', exec: 'webSocketClass', vus: vus, duration: __ENV.DURATION, gracefulStop: '0s',
		},
	},
};

export { socketAPI, webSocketClass };
