/**
 * The Node flags the service runs with: `npm start`, the Dockerfile, the bench and the
 * drill (test/scripts/service-flags.test.ts keeps them in step). V8 sizes the young
 * generation from the machine's memory: on a 24 GiB machine the service reserved about
 * 200 MB of heap at start with 52 MB of it live; 8 MB semi-spaces keep it under 180 MB idle
 * at the same throughput. The old generation, left to a limit sized from 24 GiB, grew with
 * the allocation rate before each major collection: peaks of 263-360 MB in npm run bench.
 * Capped at 256 MB (five times the live set, room for bursts of 1 MiB bodies) the peak is
 * 208-219 MB at the same throughput and CPU per lead.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256']
