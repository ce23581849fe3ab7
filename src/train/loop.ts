/**
 * The training loop: seeded mini-batches, per-step learning-rate schedule, optional custom loss
 * (e.g. distillation), a hook after every optimiser step (e.g. re-applying pruning masks), validation,
 * progress, and per-epoch checkpoints with exact resume.
 *
 * Determinism: batches and augmentation depend only on (seed, epoch), the schedule only on the step,
 * so the same seed and initial weights give identical weights on the same backend, and a run resumed
 * from the checkpoint of epoch k ends with the same weights as an uninterrupted run. State kept outside
 * the model and optimiser (e.g. masks in a closure used by afterStep) is the caller's to restore.
 */
import * as tf from '@tensorflow/tfjs';
import { batchCount, iterateBatches } from '../data/batches.js';
import type { ImageSet } from '../data/types.js';
import { CHECKPOINT_VERSION, findLatestCheckpoint, restoreCheckpoint, writeCheckpoint, type CheckpointState } from './checkpoint.js';
import { batchTensor, countCorrect, evaluate, forwardLogits, softmaxCrossEntropy, DEFAULT_EVAL_BATCH } from './evaluate.js';
import { createOptimizer, type TrainableVar } from './optimizers.js';
import { createProgress } from './progress.js';
import { learningRateAt, validateSchedule } from './schedules.js';
import type { EpochLogs, LossContext, LossFn, LossOutput, TrainHistory, TrainOptions } from './types.js';

/** Softmax cross-entropy on the model's logits in training mode. */
export const defaultLoss: LossFn = (ctx: LossContext) => {
  const logits = forwardLogits(ctx.model, ctx.x, true);
  return { loss: softmaxCrossEntropy(logits, ctx.y as tf.Tensor1D), logits };
};

function checkOptions(model: tf.LayersModel, data: ImageSet, o: TrainOptions): void {
  const where = `trainModel(${model.name}, ${data.name})`;
  const posInt = (v: number | undefined, name: string, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new Error(`${where}: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  posInt(o.epochs, 'epochs', 0);
  posInt(o.batchSize, 'batchSize', 1);
  posInt(o.maxSteps, 'maxSteps', 0);
  posInt(o.stepsPerEpoch, 'stepsPerEpoch', 1);
  posInt(o.keepCheckpoints, 'keepCheckpoints', 1);
  if (!Number.isFinite(o.seed)) throw new Error(`${where}: seed must be a number, got ${o.seed}`);
  if (data.count === 0) throw new Error(`${where}: the training set is empty`);
  if (o.resume && !o.checkpointDir) throw new Error(`${where}: resume needs checkpointDir`);
  if (o.schedule) validateSchedule(o.schedule);
  const inShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || !inShape) throw new Error(`${where}: expected a model with one input`);
  const want = [data.height, data.width, data.channels];
  if (inShape.length !== 4 || inShape.slice(1).some((d, i) => d !== null && d !== want[i])) {
    throw new Error(`${where}: the model's input is [${inShape.slice(1)}] but the images are [${want}] (H, W, C)`);
  }
  if (model.trainableWeights.length === 0) throw new Error(`${where}: the model has no trainable weights`);
}

function splitLoss(out: LossOutput): { loss: tf.Scalar; logits?: tf.Tensor } {
  return out instanceof tf.Tensor ? { loss: out } : out;
}

function checkResumable(state: CheckpointState, path: string, o: TrainOptions, spe: number, data: ImageSet): void {
  const diffs: string[] = [];
  if (state.seed !== o.seed) diffs.push(`seed ${state.seed} vs ${o.seed}`);
  if (state.batchSize !== o.batchSize) diffs.push(`batchSize ${state.batchSize} vs ${o.batchSize}`);
  if (state.stepsPerEpoch !== spe) diffs.push(`steps per epoch ${state.stepsPerEpoch} vs ${spe}`);
  if (state.dataCount !== data.count) diffs.push(`training examples ${state.dataCount} vs ${data.count}`);
  if (diffs.length > 0) {
    throw new Error(
      `cannot resume from ${path}: it was written by a run with different options (${diffs.join('; ')}); use the same options, another checkpointDir, or resume: false`,
    );
  }
}

/** Trains `model` in place on `data`; returns the per-epoch history. */
export async function trainModel(model: tf.LayersModel, data: ImageSet, opts: TrainOptions): Promise<TrainHistory> {
  checkOptions(model, data, opts);
  const lossFn = opts.lossFn ?? defaultLoss;
  const available = batchCount(data.count, opts.batchSize, opts.dropRemainder ?? false);
  if (available === 0) throw new Error(`trainModel: ${data.name} has ${data.count} examples, fewer than one batch of ${opts.batchSize}`);
  const spe = Math.min(available, opts.stepsPerEpoch ?? available);
  const totalSteps = Math.min(opts.epochs * spe, opts.maxSteps ?? Infinity);
  const schedCtx = { stepsPerEpoch: spe, totalSteps: opts.epochs * spe };
  const baseLr = opts.optimizer.lr;

  const optimizer = createOptimizer(opts.optimizer);
  const vars: TrainableVar[] = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  const progress = createProgress(opts.progress ?? 'auto');
  const history: TrainHistory = { epochs: [], steps: 0 };
  let startEpoch = 0;
  let step = 0;
  try {
    if (opts.resume && opts.checkpointDir) {
      const found = await findLatestCheckpoint(opts.checkpointDir);
      if (found) {
        checkResumable(found.state, found.path, opts, spe, data);
        await restoreCheckpoint(found.path, model, optimizer);
        startEpoch = found.state.epoch;
        step = found.state.step;
        history.epochs.push(...found.state.history);
        history.resumedFromEpoch = found.state.epoch;
      }
    }

    for (let epoch = startEpoch; epoch < opts.epochs && step < totalSteps; epoch++) {
      const t0 = performance.now();
      const steps = Math.min(spe, totalSteps - step);
      progress.startEpoch(epoch, opts.epochs, steps);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let withLogits = true;
      let lr = baseLr;
      let done = 0;
      const batches = iterateBatches(data, opts.batchSize, {
        shuffle: true,
        seed: opts.seed,
        epoch,
        augment: opts.augment ?? 'none',
        dropRemainder: opts.dropRemainder ?? false,
      });
      for (const b of batches) {
        if (done >= steps) break;
        lr = learningRateAt(opts.schedule, baseLr, step, schedCtx);
        optimizer.setLearningRate(lr);
        const stepNow = step;
        let correctT: tf.Scalar | undefined;
        const lossT = tf.tidy(() => {
          const x = batchTensor(data, b.x, b.size);
          const y = tf.tensor1d(b.y, 'int32');
          return optimizer.step(() => {
            const out = splitLoss(lossFn({ model, x, y, step: stepNow, epoch }));
            if (out.logits) correctT = tf.keep(countCorrect(out.logits as tf.Tensor2D, y));
            return out.loss;
          }, vars);
        });
        if (opts.afterStep) tf.tidy(() => opts.afterStep!(stepNow));
        const lv = (await lossT.data())[0];
        lossT.dispose();
        if (correctT) {
          correct += (await correctT.data())[0];
          correctT.dispose();
        } else {
          withLogits = false;
        }
        if (!Number.isFinite(lv)) {
          throw new Error(`trainModel(${model.name}): loss became ${lv} at step ${stepNow} (epoch ${epoch + 1}); lower the learning rate`);
        }
        lossSum += lv * b.size;
        seen += b.size;
        step++;
        done++;
        progress.step(done, lossSum / seen, withLogits ? correct / seen : NaN);
      }
      const logs: EpochLogs = {
        epoch,
        loss: lossSum / seen,
        accuracy: withLogits ? correct / seen : NaN,
        lr,
        steps: done,
        seconds: 0,
      };
      if (done < spe) logs.partial = true;
      if (opts.validation) {
        const v = await evaluate(model, opts.validation, opts.evalBatchSize ?? DEFAULT_EVAL_BATCH);
        logs.valLoss = v.loss;
        logs.valAccuracy = v.accuracy;
      }
      logs.seconds = (performance.now() - t0) / 1000;
      history.epochs.push(logs);
      progress.endEpoch(logs, opts.epochs);
      if (opts.onEpochEnd) await opts.onEpochEnd(epoch, logs);
      if (opts.checkpointDir && !logs.partial) {
        await writeCheckpoint(
          opts.checkpointDir,
          model,
          optimizer,
          {
            version: CHECKPOINT_VERSION,
            epoch: epoch + 1,
            step,
            seed: opts.seed,
            batchSize: opts.batchSize,
            stepsPerEpoch: spe,
            dataCount: data.count,
            optimizer: optimizer.spec,
            lr,
            history: history.epochs,
            savedAt: new Date().toISOString(),
          },
          opts.keepCheckpoints ?? 1,
        );
      }
    }
  } finally {
    progress.stop();
    optimizer.dispose();
  }
  history.steps = step;
  return history;
}
