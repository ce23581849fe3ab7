;; prunekit's small-GEMM kernel in wasm SIMD (128-bit), on the tfjs wasm backend's own heap (memory imported,
;; every pointer a byte offset into it). Regenerate gemm.generated.ts after editing:
;;   node scripts/build-simd.mjs
;;
;;   C[M, N] = A[M, K] · B[K, N]        (row-major, not transposed, N % 4 == 0)
;;
;; The output is cut into work units of 4 rows × 64 columns, numbered panel-major (units that follow each other
;; share a 64-column panel of B). `gemmUnits` claims units one at a time from a shared counter (an i32 at `ctr`,
;; atomic add), so any number of threads running it on the same arguments split the work dynamically: a thread
;; that starts late (or is descheduled) simply takes fewer units. Every element of C is computed by one micro-
;; kernel with the same summation order (k = 0 … K−1, mul then add) whichever thread runs it, so the result does
;; not depend on the number of threads or on who took which unit.
;; Micro-kernels: 4 rows × 8 columns (8 accumulators) and 4 × 4 for a panel's last 4 columns; a unit of fewer
;; than 4 rows (M % 4) reads its last row for the missing ones and stores only the valid rows. A 6 × 8 micro-kernel
;; (12 accumulators + 2 B vectors + the splat = 15 of x64's 16 SIMD registers) measured 0.6× the speed of this one
;; under V8 (2 Dec 2026, MLP shapes): V8's register allocator spills.
(module
  (import "env" "memory" (memory 1))

  ;; 4 × 8 block: c[i, 0..8) = Σ_k a[i, k]·b[k, 0..8) for rows i < rows (pa: row 0 of A, lda/ldb/ldc in bytes).
  (func $mk8 (param $pa i32) (param $lda i32) (param $pb i32) (param $ldb i32) (param $pc i32) (param $ldc i32)
    (param $K i32) (param $rows i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $kEnd i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $a0 (local.get $pa))
    (local.set $a1 (select (i32.add (local.get $a0) (local.get $lda)) (local.get $a0) (i32.gt_u (local.get $rows) (i32.const 1))))
    (local.set $a2 (select (i32.add (local.get $a1) (local.get $lda)) (local.get $a1) (i32.gt_u (local.get $rows) (i32.const 2))))
    (local.set $a3 (select (i32.add (local.get $a2) (local.get $lda)) (local.get $a2) (i32.gt_u (local.get $rows) (i32.const 3))))
    (local.set $kEnd (i32.add (local.get $a0) (i32.shl (local.get $K) (i32.const 2))))
    (block $done
      (loop $k
        (br_if $done (i32.ge_u (local.get $a0) (local.get $kEnd)))
        (local.set $b0 (v128.load (local.get $pb)))
        (local.set $b1 (v128.load offset=16 (local.get $pb)))
        (local.set $s (v128.load32_splat (local.get $a0)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $s (v128.load32_splat (local.get $a1)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $s (v128.load32_splat (local.get $a2)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $s (v128.load32_splat (local.get $a3)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $a0 (i32.add (local.get $a0) (i32.const 4)))
        (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
        (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
        (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
        (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
        (br $k)))
    (v128.store (local.get $pc) (local.get $c00))
    (v128.store offset=16 (local.get $pc) (local.get $c01))
    (if (i32.gt_u (local.get $rows) (i32.const 1)) (then
      (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
      (v128.store (local.get $pc) (local.get $c10))
      (v128.store offset=16 (local.get $pc) (local.get $c11))))
    (if (i32.gt_u (local.get $rows) (i32.const 2)) (then
      (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
      (v128.store (local.get $pc) (local.get $c20))
      (v128.store offset=16 (local.get $pc) (local.get $c21))))
    (if (i32.gt_u (local.get $rows) (i32.const 3)) (then
      (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
      (v128.store (local.get $pc) (local.get $c30))
      (v128.store offset=16 (local.get $pc) (local.get $c31)))))

  ;; 4 × 4 block: as $mk8 for 4 columns.
  (func $mk4 (param $pa i32) (param $lda i32) (param $pb i32) (param $ldb i32) (param $pc i32) (param $ldc i32)
    (param $K i32) (param $rows i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $kEnd i32)
    (local $b0 v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local.set $a0 (local.get $pa))
    (local.set $a1 (select (i32.add (local.get $a0) (local.get $lda)) (local.get $a0) (i32.gt_u (local.get $rows) (i32.const 1))))
    (local.set $a2 (select (i32.add (local.get $a1) (local.get $lda)) (local.get $a1) (i32.gt_u (local.get $rows) (i32.const 2))))
    (local.set $a3 (select (i32.add (local.get $a2) (local.get $lda)) (local.get $a2) (i32.gt_u (local.get $rows) (i32.const 3))))
    (local.set $kEnd (i32.add (local.get $a0) (i32.shl (local.get $K) (i32.const 2))))
    (block $done
      (loop $k
        (br_if $done (i32.ge_u (local.get $a0) (local.get $kEnd)))
        (local.set $b0 (v128.load (local.get $pb)))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (v128.load32_splat (local.get $a0)) (local.get $b0))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (v128.load32_splat (local.get $a1)) (local.get $b0))))
        (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (v128.load32_splat (local.get $a2)) (local.get $b0))))
        (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (v128.load32_splat (local.get $a3)) (local.get $b0))))
        (local.set $a0 (i32.add (local.get $a0) (i32.const 4)))
        (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
        (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
        (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
        (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
        (br $k)))
    (v128.store (local.get $pc) (local.get $c0))
    (if (i32.gt_u (local.get $rows) (i32.const 1)) (then
      (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
      (v128.store (local.get $pc) (local.get $c1))))
    (if (i32.gt_u (local.get $rows) (i32.const 2)) (then
      (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
      (v128.store (local.get $pc) (local.get $c2))))
    (if (i32.gt_u (local.get $rows) (i32.const 3)) (then
      (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
      (v128.store (local.get $pc) (local.get $c3)))))

  ;; Claims units from the counter at ctr until none is left; returns how many this call computed.
  (func (export "gemmUnits") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32)
    (param $ctr i32) (result i32)
    (local $rowBlocks i32) (local $total i32) (local $u i32) (local $cp i32) (local $r0 i32) (local $rows i32)
    (local $j i32) (local $c1 i32) (local $lda i32) (local $ldb i32) (local $pa i32) (local $done i32)
    (local.set $rowBlocks (i32.shr_u (i32.add (local.get $M) (i32.const 3)) (i32.const 2)))
    (local.set $total (i32.mul (local.get $rowBlocks) (i32.shr_u (i32.add (local.get $N) (i32.const 63)) (i32.const 6))))
    (local.set $lda (i32.shl (local.get $K) (i32.const 2)))
    (local.set $ldb (i32.shl (local.get $N) (i32.const 2)))
    (block $out
      (loop $claim
        (local.set $u (i32.atomic.rmw.add (local.get $ctr) (i32.const 1)))
        (br_if $out (i32.ge_u (local.get $u) (local.get $total)))
        (local.set $cp (i32.div_u (local.get $u) (local.get $rowBlocks)))
        (local.set $r0 (i32.shl (i32.sub (local.get $u) (i32.mul (local.get $cp) (local.get $rowBlocks))) (i32.const 2)))
        (local.set $rows (i32.sub (local.get $M) (local.get $r0)))
        (if (i32.gt_u (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
        (local.set $j (i32.shl (local.get $cp) (i32.const 6)))
        (local.set $c1 (i32.add (local.get $j) (i32.const 64)))
        (if (i32.gt_u (local.get $c1) (local.get $N)) (then (local.set $c1 (local.get $N))))
        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $r0) (local.get $lda))))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $c1)))
            (call $mk8 (local.get $pa) (local.get $lda) (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldb)
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $N)) (local.get $j)) (i32.const 2))) (local.get $ldb)
              (local.get $K) (local.get $rows))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $cols)))
        (if (i32.lt_u (local.get $j) (local.get $c1)) (then
          (call $mk4 (local.get $pa) (local.get $lda) (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldb)
            (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $N)) (local.get $j)) (i32.const 2))) (local.get $ldb)
            (local.get $K) (local.get $rows))))
        (local.set $done (i32.add (local.get $done) (i32.const 1)))
        (br $claim)))
    (local.get $done))
)
