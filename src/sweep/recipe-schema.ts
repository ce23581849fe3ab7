/**
 * The JSON schema of a sweep recipe (validated with ajv in recipe.ts). A recipe declares the data,
 * the dense nets (trained once per seed and shared), and experiments that prune them:
 * 'unstructured' (MP / LAP / RP / OBD … at one-shot levels, methods.md §5), 'structured' (filter
 * criteria at MACs cuts, §4) and 'fourier' (MBP masks + CE / KD / Variant A / Variant B, §3).
 * `quick` holds overrides (deep-merged, arrays replaced) for the `--quick` smoke variant.
 */
import { listModels } from '../models/index.js';
import { METHOD_NAMES } from '../prune/methods.js';
import { CRITERIA } from '../structured/criteria/index.js';
import { KD_MODES } from '../distill/curriculum.js';

const posInt = { type: 'integer', minimum: 1 } as const;
const nonNegInt = { type: 'integer', minimum: 0 } as const;
const fraction = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } as const;

const optimizer = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'lr'],
  properties: {
    name: { enum: ['adam', 'sgd'] },
    lr: { type: 'number', exclusiveMinimum: 0 },
    momentum: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

const common = {
  name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
  dense: { type: 'string' },
  enabled: { type: 'boolean' },
  note: { type: 'string' },
} as const;

const schedule = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { enum: ['constant', 'step', 'cosine'] },
    unit: { enum: ['epoch', 'step'] },
    milestones: { type: 'array', items: { type: 'number', minimum: 0 } },
    gamma: { type: 'number', minimum: 0 },
    total: { type: 'number', exclusiveMinimum: 0 },
    minLr: { type: 'number', minimum: 0 },
    warmup: { type: 'number', minimum: 0 },
  },
} as const;

const dense = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'steps', 'batchSize', 'optimizer'],
  properties: {
    model: { enum: listModels().map((m) => m.name) },
    widthMultiplier: { type: 'number', exclusiveMinimum: 0 },
    steps: posInt,
    batchSize: posInt,
    optimizer,
    schedule,
    minAccuracy: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

const unstructured = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name', 'dense', 'methods', 'finetune'],
  properties: {
    ...common,
    kind: { const: 'unstructured' },
    methods: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...METHOD_NAMES] } },
    its: { type: 'array', minItems: 1, items: posInt },
    perIteration: { type: 'array', minItems: 1, items: { type: 'number', minimum: 0, exclusiveMaximum: 1 } },
    sparsities: { type: 'array', minItems: 1, items: fraction },
    finetune: {
      type: 'object',
      additionalProperties: false,
      required: ['steps', 'batchSize', 'optimizer'],
      properties: { steps: nonNegInt, batchSize: posInt, optimizer },
    },
    actSamples: posInt,
  },
} as const;

const structured = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name', 'dense', 'criteria', 'reductions', 'finetune'],
  properties: {
    ...common,
    kind: { const: 'structured' },
    criteria: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CRITERIA] } },
    reductions: { type: 'array', minItems: 1, items: fraction },
    protectLast: nonNegInt,
    innerOnly: { type: 'boolean' },
    ranking: { enum: ['per-layer', 'global'] },
    calibBatches: posInt,
    calibBatchSize: posInt,
    bnRecalBatches: nonNegInt,
    finetune: {
      type: 'object',
      additionalProperties: false,
      required: ['epochs'],
      properties: { epochs: nonNegInt, stepsPerEpoch: posInt, batchSize: posInt, lr: { type: 'number', exclusiveMinimum: 0 } },
    },
  },
} as const;

const fourier = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name', 'dense', 'sparsities', 'stage1', 'stage2'],
  properties: {
    ...common,
    kind: { const: 'fourier' },
    sparsities: { type: 'array', minItems: 1, items: fraction },
    stage1: {
      type: 'object',
      additionalProperties: false,
      required: ['batchSize', 'optimizer'],
      properties: { q: fraction, roundEpochs: nonNegInt, roundStepsPerEpoch: posInt, batchSize: posInt, optimizer },
    },
    stage2: {
      type: 'object',
      additionalProperties: false,
      required: ['methods', 'epochs', 'batchSize', 'optimizer'],
      properties: {
        methods: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...KD_MODES] } },
        epochs: posInt,
        stepsPerEpoch: posInt,
        batchSize: posInt,
        optimizer,
        alpha: { type: 'number', minimum: 0, maximum: 1 },
        tau: { type: 'number', exclusiveMinimum: 0 },
        kMax: { type: 'number', minimum: 1 },
        cutoffFraction: { type: 'number', minimum: 0, maximum: 1 },
        anchors: nonNegInt,
        perRow: { type: 'boolean' },
      },
    },
    analysisSamples: nonNegInt,
  },
} as const;

export const RECIPE_SCHEMA = {
  $id: 'prunekit/sweep-recipe',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'dataset', 'seeds', 'dense', 'experiments'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    description: { type: 'string' },
    dataset: { type: 'string', minLength: 1 },
    limitTrain: posInt,
    limitTest: posInt,
    seeds: { type: 'array', minItems: 1, uniqueItems: true, items: nonNegInt },
    dense: { type: 'object', minProperties: 1, additionalProperties: dense, propertyNames: { pattern: '^[A-Za-z0-9_.-]+$' } },
    experiments: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['kind'],
        properties: { kind: { enum: ['unstructured', 'structured', 'fourier'] } },
        discriminator: { propertyName: 'kind' },
        oneOf: [unstructured, structured, fourier],
      },
    },
    quick: { type: 'object' },
  },
} as const;
