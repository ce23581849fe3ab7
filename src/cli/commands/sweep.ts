import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { expandRecipe, orderJobs, type Job, type JobOrder } from '../../sweep/jobs.js';
import { loadRecipe, validateRecipe, type Recipe } from '../../sweep/recipe.js';
import { defaultWorkers, runLocalSweep, type SweepOutcome } from '../../sweep/local.js';
import { DEFAULT_QUEUE, runRedisSweep, runRedisWorker } from '../../sweep/redis.js';
import { finishedResults, readManifest, sweepStatus, writeManifest } from '../../sweep/store.js';
import { writeCarry } from '../../sweep/carry.js';
import { writeSweepReport } from '../../sweep/report.js';
import { resumeFromPublished } from '../../sweep/resume.js';
import { remeasureSweep } from '../../sweep/remeasure.js';
import { initBackend, parseBackendChoice } from '../../backend/index.js';
import { parseIntOption, parseTimeOption } from '../options.js';

interface SweepFlags {
  out?: string;
  quick?: boolean;
  workers?: number;
  redis?: string;
  queue: string;
  status?: string;
  report?: string;
  remeasure?: string;
  publish?: string;
  carry: boolean;
  resumeFrom?: string;
  dryRun?: boolean;
  verbose?: boolean;
  drainAt?: Date;
  order: JobOrder;
}

function globalBackend(cmd: Command): { backend?: string; threads?: number } {
  const g = cmd.optsWithGlobals() as { backend?: string; threads?: string };
  return { backend: g.backend, threads: g.threads ? parseIntOption('--threads', 1)(g.threads) : undefined };
}

function printStatus(dir: string, jobs: Job[]): void {
  const s = sweepStatus(dir, jobs);
  const lines = [
    `sweep ${dir}: ${s.done}/${s.total} jobs done, ${s.ready} ready, ${s.blocked} waiting for dependencies, ${s.failed.length} failed; ${(s.seconds / 60).toFixed(1)} min of job time so far`,
    ...Object.entries(s.perKind).map(([k, v]) => `  ${k.padEnd(16)} ${v.done}/${v.total} done${v.done ? `, ${v.meanSeconds.toFixed(1)} s/job` : ''}`),
    ...s.failed.map((f) => `  failed ${f.id}: ${f.error.split('\n')[0]}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** report.md / report.html (and, with --publish, results.json and the carry/ folder for the next machine). */
async function report(dir: string, recipe: Recipe, jobs: Job[], publish: string | undefined, carry: boolean) {
  const rep = await writeSweepReport(dir, recipe, jobs, publish);
  if (publish && carry) {
    const c = await writeCarry(dir, jobs, new Set(finishedResults(dir, jobs).keys()), publish);
    if (c.entries.length) {
      const what = c.entries.map((e) => (e.what === 'checkpoint' ? `${e.id} (checkpoint after epoch ${e.epoch})` : e.id)).join(', ');
      process.stdout.write(`carried for unfinished jobs → ${publish}/carry/ (${(c.bytes / 2 ** 20).toFixed(1)} MiB gzip): ${what}\n`);
    }
  }
  return rep;
}

async function finish(dir: string, recipe: Recipe, jobs: Job[], outcome: SweepOutcome, publish: string | undefined, carry: boolean): Promise<void> {
  const rep = await report(dir, recipe, jobs, publish, carry);
  process.stdout.write(
    `sweep ${recipe.name}: ran ${outcome.ran.length} job(s), ${outcome.skippedDone} already done, ${outcome.failed.length} failed, ${outcome.blocked.length} blocked; ` +
      `${rep.done}/${rep.total} done → ${dir}/report.md, report.html${publish ? ` (and ${publish}/)` : ''}\n` +
      (outcome.drained ? `drained (${outcome.drained.reason}): ${outcome.drained.left} job(s) left for the next run of the same command\n` : '') +
      rep.flags.map((f) => `  ⚠ ${f}\n`).join(''),
  );
  if (outcome.failed.length > 0) {
    throw new Error(`${outcome.failed.length} job(s) failed (see ${dir}/failed/): ${outcome.failed.map((f) => f.id).join(', ')}`);
  }
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .argument('[recipe]', 'JSON recipe (see exp/*.json)')
    .description('run a recipe as resumable jobs: dense nets once, then every pruning job; re-running skips finished jobs')
    .option('-o, --out <dir>', 'sweep folder (results/, artifacts/, report.md, report.html); with --redis: shared by all workers')
    .option('--quick', "use the recipe's quick overrides (smoke run)")
    .option('-w, --workers <n>', `local worker processes (default ${defaultWorkers()}: one per core, 1 thread each)`, parseIntOption('--workers', 1))
    .option('--redis <url>', 'put the jobs on a BullMQ queue in Redis instead of running them here (start workers with: prunekit worker --redis URL)')
    .option('--queue <name>', 'BullMQ queue name', DEFAULT_QUEUE)
    .option('--status <dir>', 'show the progress of a sweep folder and exit')
    .option('--report <dir>', 'rewrite report.md / report.html of a sweep folder from its finished jobs and exit')
    .option('--remeasure <dir>', 'add to the finished structured results of a sweep folder the accuracy right after pruning with BN statistics re-estimated, which results written before it existed lack: each pruned model is rebuilt (deterministic; checked against the stored accuracy) without repeating its fine-tuning; then rewrite the report (stop the sweep first; use the backend it ran on)')
    .option('--publish <dir>', 'also write report.md, report.html and results.json (all job results) here, e.g. results/lap-sweep; while the sweep is unfinished also carry/: the models, masks and dense-training checkpoints that its unfinished jobs need (gzip, sha256-checked)')
    .option('--no-carry', 'with --publish: leave out carry/ (a later --resume-from then recomputes those models)')
    .option('--resume-from <dir>', "first import the finished jobs of a published sweep (its results.json, e.g. results/lap-sweep) whose recipe is unchanged, and restore its carry/ (models, masks, checkpoints); dense nets and masks that unfinished jobs need and that were not carried are recomputed (deterministic) and checked against the published ones")
    .option('--drain-at <time>', 'start no job after this time (HH:MM, +MINUTES, or ISO); running jobs finish, the rest waits for the next run (also: kill -USR1 PID)', parseTimeOption('--drain-at'))
    .addOption(new Option('--order <order>', "which ready job a free worker takes first: 'listed' (every dense net, then the experiments) or 'seed' (one seed at a time: a complete pilot seed first)").choices(['listed', 'seed']).default('listed'))
    .option('--dry-run', 'list the jobs and exit')
    .option('-v, --verbose', 'print the jobs’ log lines (epoch losses)')
    .action(async (recipePath: string | undefined, flags: SweepFlags, cmd: Command) => {
      if (flags.status || flags.report || flags.remeasure) {
        const dir = (flags.status ?? flags.report ?? flags.remeasure)!;
        const m = readManifest(dir);
        if (flags.status) printStatus(dir, m.jobs);
        if (flags.remeasure) {
          // the sweep's workers run one compute thread each: rebuild the pruned models the same way
          const { backend, threads } = globalBackend(cmd);
          const info = await initBackend({ backend: parseBackendChoice(backend, '--backend'), threads: threads ?? 1 });
          process.stdout.write(`remeasuring on ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'})\n`);
          const r = await remeasureSweep(dir, m.jobs, (line) => process.stdout.write(`${line}\n`));
          process.stdout.write(`remeasured ${r.updated.length} structured result(s) in ${dir} (${r.skipped} already had the measurement)\n`);
        }
        if (flags.report || flags.remeasure) {
          const recipe = validateRecipe(m.recipe, `${dir}/sweep.json`);
          const rep = await report(dir, recipe, m.jobs, flags.publish, flags.carry);
          process.stdout.write(`wrote ${dir}/report.md, report.html (${rep.done}/${rep.total} jobs)\n${rep.flags.map((f) => `  ⚠ ${f}\n`).join('')}`);
        }
        return;
      }
      if (!recipePath) throw new Error('sweep: give a recipe file (or --status DIR / --report DIR)');
      const recipe = loadRecipe(recipePath, { quick: flags.quick });
      const jobs = expandRecipe(recipe);
      if (flags.dryRun) {
        process.stdout.write(orderJobs(jobs, flags.order).map((j) => `${j.id}${j.deps.length ? `  ← ${j.deps.join(', ')}` : ''}`).join('\n') + `\n${jobs.length} jobs\n`);
        return;
      }
      if (!flags.out) throw new Error('sweep: --out DIR is required (where results and models go)');
      if (flags.redis && flags.order !== 'listed') throw new Error('sweep: --order applies to local workers; BullMQ workers take the queued jobs as they come');
      if (flags.redis && flags.drainAt) throw new Error('sweep: --drain-at applies to local workers; with --redis stop the workers instead (their jobs are retried elsewhere)');
      const dir = resolve(flags.out);
      if (flags.resumeFrom) {
        const plan = await resumeFromPublished(dir, jobs, flags.resumeFrom);
        process.stdout.write(
          `sweep: imported ${plan.imported.length} finished job(s) from ${flags.resumeFrom}` +
            (plan.carried.artifacts.length ? `; restored the carried models of ${plan.carried.artifacts.join(', ')}` : '') +
            (plan.carried.checkpoints.length ? `; restored the checkpoints of ${plan.carried.checkpoints.map((c) => `${c.id} (epoch ${c.epoch})`).join(', ')}` : '') +
            (plan.recompute.length ? `; recomputing ${plan.recompute.length} whose models unfinished jobs need (${plan.recompute.join(', ')})` : '') +
            (plan.stale.length ? `; ignored ${plan.stale.length} from another recipe version` : '') +
            '\n',
        );
      }
      await writeManifest(dir, { format: 'prunekit/sweep', recipe, recipePath: resolve(recipePath), quick: !!flags.quick, jobs, createdAt: new Date().toISOString() });
      let outcome: SweepOutcome;
      if (flags.redis) {
        outcome = await runRedisSweep({ url: flags.redis, dir, jobs, queue: flags.queue });
      } else {
        const { backend, threads } = globalBackend(cmd);
        outcome = await runLocalSweep({ dir, jobs, workers: flags.workers, backend, threads, verbose: flags.verbose, drainAt: flags.drainAt, order: flags.order });
      }
      await finish(dir, recipe, jobs, outcome, flags.publish, flags.carry);
    });

  program
    .command('worker')
    .description('take sweep jobs from a BullMQ queue in Redis and run them (the sweep folder must be reachable at the same path)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--queue <name>', 'BullMQ queue name', DEFAULT_QUEUE)
    .option('-c, --concurrency <n>', 'jobs at a time (one process each)', parseIntOption('--concurrency', 1), 1)
    .option('--lock-ms <ms>', 'job lock; a dead worker’s job is retried after about this long', parseIntOption('--lock-ms', 1000), 60_000)
    .option('--stalled-ms <ms>', 'how often to look for stalled jobs', parseIntOption('--stalled-ms', 100), 30_000)
    .action(async (flags: { redis: string; queue: string; concurrency: number; lockMs: number; stalledMs: number }, cmd: Command) => {
      const { backend, threads } = globalBackend(cmd);
      await runRedisWorker({ url: flags.redis, queue: flags.queue, concurrency: flags.concurrency, backend, threads, lockDuration: flags.lockMs, stalledInterval: flags.stalledMs });
    });
}
