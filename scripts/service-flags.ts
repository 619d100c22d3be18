/**
 * The Node flags the service runs with: `npm start`, the Dockerfile, the bench and the
 * drill (test/scripts/service-flags.test.ts keeps them in step). V8 sizes the young
 * generation from the machine's memory: on a 24 GiB machine the service reserved about
 * 200 MB of heap at start with 52 MB of it live; 8 MB semi-spaces keep it under 180 MB idle
 * at the same throughput.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8']
