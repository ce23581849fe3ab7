/**
 * The parallel capacity the host gives right now: one process runs a scalar loop (10⁸ square roots, ~0.3 s on
 * an idle core) alone, then two processes run it at once; capacity = 2 × alone ÷ slower of the pair (2.0: two
 * free cores, 1.0: the two vCPUs share one core's worth). On this project's shared 2-vCPU machine it swings
 * between ~1 and ~2 within seconds, and no 2-thread speedup can exceed it: benches print it next to their ratios.
 */
import { spawn } from 'node:child_process';

const LOOP = 'let s=0; for(let i=0;i<1e8;i++) s+=Math.sqrt(i); return s;';

function loopMs(): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', `const f=()=>{${LOOP}}; const t0=performance.now(); f(); process.stdout.write(String(performance.now()-t0))`]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => resolve(Number(out)));
  });
}

/** One capacity measurement (~1 s), as text: "1.93 cores (loop alone 290 ms, two at once 295/301 ms)". */
export async function parallelCapacity(): Promise<string> {
  const alone = await loopMs();
  const [a, b] = await Promise.all([loopMs(), loopMs()]);
  return `${((2 * alone) / Math.max(a, b)).toFixed(2)} cores (loop alone ${alone.toFixed(0)} ms, two at once ${a.toFixed(0)}/${b.toFixed(0)} ms)`;
}
