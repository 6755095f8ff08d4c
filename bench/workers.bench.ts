/**
 * `tsx bench/workers.bench.ts`: the workers benchmark, side by side in one run — images/s through
 * real worker processes vs a bare sharp loop, no-op jobs/s through the platform's queueing vs bare
 * BullMQ. The harness lives beside the workers (workers/bench/) so it resolves their dependencies
 * (bullmq, sharp); see there for the knobs. Writes bench/results/workers.json and workers.md.
 */
await import("../workers/bench/workers-bench.js");
