/** Secrets of the benchmark API server; it runs on loopback only, for the length of a run. */
export const BENCH_ADMIN = "bench-admin-token-0123456789";
export const BENCH_SECRET = "bench-enroll-secret-0123456789";
