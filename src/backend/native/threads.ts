/**
 * One thread setting for every pool in a native-backed process ("threads that don't fight"):
 *  - libtorch's intra-op pool and oneDNN (OpenMP) and OpenBLAS: `OMP_NUM_THREADS` / `OPENBLAS_NUM_THREADS`
 *    in the environment before libtorch loads, then `setThreads(n)` (torch::set_num_threads and
 *    openblas_set_num_threads);
 *  - OpenMP workers wait passively (`OMP_WAIT_POLICY=passive`, read once when libgomp loads): an idle
 *    worker sleeps instead of spinning, so two processes sharing the cores do not steal each other's time;
 *  - the wasm pthread pool is not started at all (the wasm backend runs single-threaded next to the native
 *    kernels), so no XNNPACK thread spins while libtorch works.
 * Variables the user has set are left alone (and reported).
 */
export interface ThreadEnvReport {
  threads: number;
  /** Variables set here (name=value). */
  set: string[];
  /** Variables the user had set, kept as they were. */
  kept: string[];
}

export function applyNativeThreadEnv(threads: number): ThreadEnvReport {
  const wanted: Record<string, string> = {
    OMP_WAIT_POLICY: 'passive',
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
  const report: ThreadEnvReport = { threads, set: [], kept: [] };
  for (const [name, value] of Object.entries(wanted)) {
    const existing = process.env[name];
    if (existing !== undefined && existing !== '' && name === 'OMP_WAIT_POLICY') {
      report.kept.push(`${name}=${existing}`);
      continue;
    }
    // thread counts follow --threads (this is the one setting); a user's OMP_WAIT_POLICY is respected
    process.env[name] = value;
    report.set.push(`${name}=${value}`);
  }
  return report;
}
