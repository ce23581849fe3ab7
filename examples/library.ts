/**
 * The library API in one page: train, prune with LAP, fine-tune with masks, save; remove filters by DCT energy.
 * Run: node --import tsx examples/library.ts   (tested by test/examples.test.ts)
 */
import {
  initBackend, loadDataset, createModel, trainModel, evaluate, pruneModel, maskEnforcer, saveModel, pruneFilters,
} from '../src/index.js';

const steps = Number(process.env.EXAMPLE_STEPS ?? 200);
await initBackend();
const { train, test } = await loadDataset('digits');

// 1. Unstructured: LAP at 95% sparsity per layer, fine-tuned with the masks enforced after every step.
const mlp = createModel('lenet300', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
await trainModel(mlp, train, { epochs: 1, batchSize: 60, optimizer: { name: 'adam', lr: 1.2e-3 }, seed: 1, maxSteps: steps, progress: false });
const { masks, record } = pruneModel(mlp, { method: 'lap', sparsity: 0.95, seed: 1 });
const keepMasked = maskEnforcer(mlp, masks);
await trainModel(mlp, train, { epochs: 1, batchSize: 60, optimizer: { name: 'adam', lr: 1.2e-3 }, seed: 2, maxSteps: steps, afterStep: keepMasked, progress: false });
keepMasked.dispose();
const acc = (await evaluate(mlp, test)).accuracy;
console.log(`LAP 95%: sparsity ${(100 * masks.totalSparsity()).toFixed(1)}%, test accuracy ${(100 * acc).toFixed(1)}% (method ${record.method})`);
await saveModel(mlp, 'runs/example-lap95');

// 2. Structured: remove half of the conv FLOPs by DCT energy of the feature maps, physically.
const cnn = createModel('vgg-small', { inputShape: [28, 28, 1], numClasses: 10, seed: 1, widthMultiplier: 0.5 });
await trainModel(cnn, train, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-3 }, seed: 1, maxSteps: steps, progress: false });
const pruned = await pruneFilters(cnn, { criterion: 'dct', flopsReduction: 0.5, calib: train, seed: 1 });
console.log(`DCT filters: MACs ${pruned.report.before.macs} → ${pruned.report.after.macs}, accuracy right after pruning ${(100 * (await evaluate(pruned.model, test)).accuracy).toFixed(1)}%`);
mlp.dispose();
cnn.dispose();
pruned.model.dispose();
