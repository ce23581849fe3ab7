/**
 * Method registry. A method = a score + a rule (layer-wise or global-normalised) + an order
 * (all layers at once, or sequential forward/backward).
 *
 * Names: mp, rp, lap, lap_bn, lap_act, obd (OBD with a Fisher-diagonal Hessian approximation),
 * lap_forward, lap_backward, lap_forward_bn, lap_backward_bn, and `<base>_global_normalize` for
 * mp, rp, lap, lap_bn, lap_act, obd.
 */
import type { ScoreOptions, Scorer } from './scores/context.js';
import { lapScores } from './scores/lap.js';
import { magnitudeScores } from './scores/magnitude.js';
import { obdScores } from './scores/obd.js';
import { randomScores } from './scores/random.js';

export type RuleKind = 'layerwise' | 'global';
export type Order = 'simultaneous' | 'forward' | 'backward';

export interface MethodSpec {
  name: string;
  scorer: Scorer;
  /** Options the method fixes (merged over the caller's). */
  scoreOptions: ScoreOptions;
  rule: RuleKind;
  order: Order;
  /** Needs training data (lap_act, obd). */
  needsData: boolean;
}

type Base = Omit<MethodSpec, 'name' | 'rule'>;

const BASE: Record<string, Base> = {
  mp: { scorer: magnitudeScores, scoreOptions: {}, order: 'simultaneous', needsData: false },
  rp: { scorer: randomScores, scoreOptions: {}, order: 'simultaneous', needsData: false },
  lap: { scorer: lapScores, scoreOptions: {}, order: 'simultaneous', needsData: false },
  lap_bn: { scorer: lapScores, scoreOptions: { bn: true }, order: 'simultaneous', needsData: false },
  lap_act: { scorer: lapScores, scoreOptions: { act: true }, order: 'simultaneous', needsData: true },
  obd: { scorer: obdScores, scoreOptions: {}, order: 'simultaneous', needsData: true },
  lap_forward: { scorer: lapScores, scoreOptions: {}, order: 'forward', needsData: false },
  lap_backward: { scorer: lapScores, scoreOptions: {}, order: 'backward', needsData: false },
  lap_forward_bn: { scorer: lapScores, scoreOptions: { bn: true }, order: 'forward', needsData: false },
  lap_backward_bn: { scorer: lapScores, scoreOptions: { bn: true }, order: 'backward', needsData: false },
};

const GLOBAL_SUFFIX = '_global_normalize';
const GLOBAL_BASES = ['mp', 'rp', 'lap', 'lap_bn', 'lap_act', 'obd'];

/** Every accepted method name. */
export const METHOD_NAMES: readonly string[] = [...Object.keys(BASE), ...GLOBAL_BASES.map((b) => b + GLOBAL_SUFFIX)];

export function getMethod(name: string): MethodSpec {
  const global = name.endsWith(GLOBAL_SUFFIX);
  const baseName = global ? name.slice(0, -GLOBAL_SUFFIX.length) : name;
  const base = BASE[baseName];
  if (!base || (global && !GLOBAL_BASES.includes(baseName))) {
    throw new Error(`unknown pruning method '${name}'; known methods: ${METHOD_NAMES.join(', ')}`);
  }
  return { name, ...base, rule: global ? 'global' : 'layerwise' };
}
