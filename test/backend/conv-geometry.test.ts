/** The 1-D index geometry behind the conv-gradient kernels, checked against naive loops. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterGradPadAfter, inputGradPhases } from '../../src/backend/kernels/conv/geometry.js';
import { seededValues } from '../helpers/backends.js';

/** Naive 1-D input gradient: dx[o·S + k − P] += dy[o] · w[k]. */
function naiveDx(dy: Float32Array, w: Float32Array, X: number, S: number, P: number): Float64Array {
  const dx = new Float64Array(X);
  for (let o = 0; o < dy.length; o++) {
    for (let k = 0; k < w.length; k++) {
      const x = o * S + k - P;
      if (x >= 0 && x < X) dx[x] += dy[o] * w[k];
    }
  }
  return dx;
}

/** The same through the phases: stride-1 correlations of padded dy with flipped sub-filters, cropped, interleaved. */
function phasedDx(dy: Float32Array, w: Float32Array, X: number, S: number, P: number): Float64Array {
  const O = dy.length;
  const K = w.length;
  const dx = new Float64Array(X).fill(NaN);
  const phases = inputGradPhases(X, K, S, P, O);
  for (const p of phases) {
    for (let m = 0; m < p.count; m++) {
      let acc = 0;
      if (p.taps > 0) {
        const row = p.crop + m; // output index of the sub-convolution
        assert.ok(row < p.subOut);
        for (let j = 0; j < p.taps; j++) {
          const i = row + j - p.padBefore; // index into dy
          if (i >= 0 && i < O) acc += dy[i] * w[p.residue + S * (p.taps - 1 - j)];
        }
      }
      const x = p.first + S * m;
      assert.ok(Number.isNaN(dx[x]), `index ${x} written twice`);
      dx[x] = acc;
    }
    if (p.taps > 0) assert.equal(p.subOut, O + p.padBefore + p.padAfter - p.taps + 1);
  }
  return dx;
}

test('inputGradPhases reproduces the naive 1-D input gradient for all small geometries', () => {
  let cases = 0;
  for (let K = 1; K <= 5; K++) {
    for (let S = 1; S <= 3; S++) {
      for (let X = 1; X <= 9; X++) {
        for (let P = 0; P <= 4; P++) {
          for (let extra = 0; extra <= 3; extra++) {
            const span = X + P + extra - K; // extra = trailing pad
            if (span < 0) continue;
            const O = Math.floor(span / S) + 1;
            const dy = seededValues(O, cases + 1);
            const w = seededValues(K, cases + 1000);
            const a = naiveDx(dy, w, X, S, P);
            const b = phasedDx(dy, w, X, S, P);
            for (let i = 0; i < X; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-9, `X=${X} K=${K} S=${S} P=${P} O=${O} at ${i}`);
            cases++;
          }
        }
      }
    }
  }
  assert.ok(cases > 1000);
});

test('filterGradPadAfter makes the dilated correlation exactly K long', () => {
  for (let K = 1; K <= 5; K++) {
    for (let S = 1; S <= 3; S++) {
      for (let X = K; X <= 9; X++) {
        for (let P = 0; P < K; P++) {
          const O = Math.floor((X + 2 * P - K) / S) + 1;
          const after = filterGradPadAfter(X, K, S, P, O);
          // output length of a correlation of (X + P + after) samples with a kernel of span (O−1)·S+1
          assert.equal(X + P + after - ((O - 1) * S + 1) + 1, K);
        }
      }
    }
  }
});
