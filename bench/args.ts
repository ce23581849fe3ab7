/**
 * Shared plumbing of the bench scripts: `--key value` / `--flag` arguments, and the parent/child split
 * (the wasm module initialises once per process, so each thread count runs in a child process).
 */
export function parseBenchArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      m.set(a.slice(2), next);
      i++;
    } else m.set(a.slice(2), '');
  }
  return m;
}

/** Runs `child(args)` when started with `--child`, otherwise `parent(args)`; a failing child exits 1. */
export function runParentOrChild(
  label: string,
  child: (args: Map<string, string>) => Promise<void>,
  parent: (args: Map<string, string>) => unknown,
): void {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.has('child')) {
    child(args)
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        process.stderr.write(`${label} child failed: ${(e as Error).stack ?? String(e)}\n`);
        process.exit(1);
      });
  } else parent(args);
}
