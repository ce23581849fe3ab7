;; prunekit's wasm-SIMD (128-bit) kernels for the optimiser and batch-norm updates. They run on the tfjs wasm
;; backend's own heap: the memory is imported, every pointer is a byte offset into it (a tensor's
;; `memoryOffset`). Regenerate src/backend/kernels/simd/module.generated.ts after editing:
;;   node scripts/build-simd.mjs
;; (the script assembles this text twice: as is, and with the memory import made `shared` for tfjs' threaded
;; build, whose memory is a shared WebAssembly.Memory).
;;
;; Element-wise functions process n4 elements (a multiple of 4; the caller does the ≤ 3 left); BN functions
;; need c % 4 == 0. Arithmetic order follows tfjs-core 4.22.0's optimisers op by op (see
;; src/backend/kernels/simd/fused-update.ts; Adam's bias corrections multiply by reciprocals), so the results
;; agree with the unfused path to rounding.
(module
  (import "env" "memory" (memory 1))

  ;; Adam with coupled L2: g' = g + wd·x; m' = b1·m + (1−b1)·g'; v' = b2·v + (1−b2)·g'²;
  ;; x' = ((m'·r1) / (√(v'·r2) + eps))·(−lr) + x, with r1 = 1/(1 − β1^t), r2 = 1/(1 − β2^t) (two multiplies
  ;; instead of tfjs' two divisions: the loop is bound by its divisions and square root).
  (func (export "adam")
    (param $x i32) (param $g i32) (param $m i32) (param $v i32)
    (param $xo i32) (param $mo i32) (param $vo i32) (param $n4 i32)
    (param $neglr f32) (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32)
    (param $eps f32) (param $r1 f32) (param $r2 f32) (param $wd f32)
    (local $o i32) (local $end i32)
    (local $xx v128) (local $gg v128) (local $mm v128) (local $vv v128)
    (local $Sneglr v128) (local $Sb1 v128) (local $Somb1 v128) (local $Sb2 v128) (local $Somb2 v128)
    (local $Seps v128) (local $Sr1 v128) (local $Sr2 v128) (local $Swd v128)
    (local.set $Sneglr (f32x4.splat (local.get $neglr)))
    (local.set $Sb1 (f32x4.splat (local.get $b1)))
    (local.set $Somb1 (f32x4.splat (local.get $omb1)))
    (local.set $Sb2 (f32x4.splat (local.get $b2)))
    (local.set $Somb2 (f32x4.splat (local.get $omb2)))
    (local.set $Seps (f32x4.splat (local.get $eps)))
    (local.set $Sr1 (f32x4.splat (local.get $r1)))
    (local.set $Sr2 (f32x4.splat (local.get $r2)))
    (local.set $Swd (f32x4.splat (local.get $wd)))
    (local.set $end (i32.shl (local.get $n4) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $xx (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $gg (f32x4.add (v128.load (i32.add (local.get $g) (local.get $o))) (f32x4.mul (local.get $xx) (local.get $Swd))))
        (local.set $mm (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $Sb1))
          (f32x4.mul (local.get $gg) (local.get $Somb1))))
        (local.set $vv (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $Sb2))
          (f32x4.mul (f32x4.mul (local.get $gg) (local.get $gg)) (local.get $Somb2))))
        (v128.store (i32.add (local.get $mo) (local.get $o)) (local.get $mm))
        (v128.store (i32.add (local.get $vo) (local.get $o)) (local.get $vv))
        (v128.store (i32.add (local.get $xo) (local.get $o))
          (f32x4.add
            (f32x4.mul
              (f32x4.div
                (f32x4.mul (local.get $mm) (local.get $Sr1))
                (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vv) (local.get $Sr2))) (local.get $Seps)))
              (local.get $Sneglr))
            (local.get $xx)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; SGD with (Nesterov) momentum and coupled L2: g' = g + wd·x; a' = mom·a + g';
  ;; x' = (−lr)·(k1·g' + k2·a') + x  (heavy ball: k1 = 0, k2 = 1; Nesterov: k1 = 1, k2 = mom; plain SGD: a unused,
  ;; call with k1 = 1, k2 = 0 and a = ao = g: then a' is not stored).
  (func (export "momentum")
    (param $x i32) (param $g i32) (param $a i32) (param $xo i32) (param $ao i32) (param $n4 i32)
    (param $neglr f32) (param $mom f32) (param $wd f32) (param $k1 f32) (param $k2 f32) (param $storeA i32)
    (local $o i32) (local $end i32)
    (local $xx v128) (local $gg v128) (local $aa v128) (local $step v128)
    (local $Sneglr v128) (local $Smom v128) (local $Swd v128) (local $Sk1 v128) (local $Sk2 v128)
    (local.set $Sneglr (f32x4.splat (local.get $neglr)))
    (local.set $Smom (f32x4.splat (local.get $mom)))
    (local.set $Swd (f32x4.splat (local.get $wd)))
    (local.set $Sk1 (f32x4.splat (local.get $k1)))
    (local.set $Sk2 (f32x4.splat (local.get $k2)))
    (local.set $end (i32.shl (local.get $n4) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $xx (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $gg (f32x4.add (v128.load (i32.add (local.get $g) (local.get $o))) (f32x4.mul (local.get $xx) (local.get $Swd))))
        (if (local.get $storeA)
          (then
            (local.set $aa (f32x4.add (f32x4.mul (local.get $Smom) (v128.load (i32.add (local.get $a) (local.get $o)))) (local.get $gg)))
            (v128.store (i32.add (local.get $ao) (local.get $o)) (local.get $aa))
            (local.set $step (f32x4.add (f32x4.mul (local.get $gg) (local.get $Sk1)) (f32x4.mul (local.get $aa) (local.get $Sk2)))))
          (else
            (local.set $step (local.get $gg))))
        (v128.store (i32.add (local.get $xo) (local.get $o))
          (f32x4.add (f32x4.mul (local.get $Sneglr) (local.get $step)) (local.get $xx)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; Upper two f32 lanes of $v promoted to f64x2.
  (func $promoteHigh (param $v v128) (result v128)
    (f64x2.promote_low_f32x4
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))

  ;; Per-channel Σx and Σx² over `rows` rows of c channels (channels last), added to the f64 arrays sum[c]
  ;; and sumSq[c]. Like colSums and bnGradSums: blocks of 32 rows are summed in f32 registers, four channels at a
  ;; time (the block is read from cache for each group), and each block's sums are added in f64.
  (func (export "bnSums")
    (param $x i32) (param $rows i32) (param $c i32) (param $sum i32) (param $sumSq i32)
    (local $r0 i32) (local $r1 i32) (local $k i32) (local $o i32) (local $end i32) (local $rowBytes i32) (local $s i32) (local $a v128) (local $q v128) (local $v v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $r0 (i32.const 0))
    (block $blocksDone
      (loop $block
        (br_if $blocksDone (i32.ge_u (local.get $r0) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r0) (i32.const 32)))
        (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
        (local.set $k (i32.const 0))
        (block $chDone
          (loop $ch
            (br_if $chDone (i32.ge_u (local.get $k) (local.get $c)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $c)) (local.get $k)) (i32.const 2)))
            (local.set $end (i32.shl (i32.add (i32.mul (local.get $r1) (local.get $c)) (local.get $k)) (i32.const 2)))
            (local.set $a (v128.const i32x4 0 0 0 0))
            (local.set $q (v128.const i32x4 0 0 0 0))
            (block $rDone
              (loop $rLoop
                (br_if $rDone (i32.ge_u (local.get $o) (local.get $end)))
                (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
                (local.set $a (f32x4.add (local.get $a) (local.get $v)))
                (local.set $q (f32x4.add (local.get $q) (f32x4.mul (local.get $v) (local.get $v))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (br $rLoop)))
            (local.set $s (i32.add (local.get $sum) (i32.shl (local.get $k) (i32.const 3))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $a))))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (call $promoteHigh (local.get $a))))
            (local.set $s (i32.add (local.get $sumSq) (i32.shl (local.get $k) (i32.const 3))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $q))))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (call $promoteHigh (local.get $q))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ch)))
        (local.set $r0 (local.get $r1))
        (br $block))))

  ;; y = x·scale[k] + shift[k] per channel k (f32; channels last).
  (func (export "bnApply")
    (param $x i32) (param $y i32) (param $rows i32) (param $c i32) (param $scale i32) (param $shift i32)
    (local $r i32) (local $k i32) (local $o i32) (local $kb i32)
    (local.set $o (i32.const 0))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $chDone
          (loop $ch
            (br_if $chDone (i32.ge_u (local.get $k) (local.get $c)))
            (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
            (v128.store (i32.add (local.get $y) (local.get $o))
              (f32x4.add
                (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $scale) (local.get $kb))))
                (v128.load (i32.add (local.get $shift) (local.get $kb)))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ch)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Σdy and Σdy·(x − mean) per channel (mean: f32[c]; sums: f64[c], added to; 32-row f32 blocks as bnSums).
  (func (export "bnGradSums")
    (param $x i32) (param $dy i32) (param $mean i32) (param $rows i32) (param $c i32) (param $sumDy i32) (param $sumDyXc i32)
    (local $r0 i32) (local $r1 i32) (local $k i32) (local $o i32) (local $end i32) (local $rowBytes i32) (local $s i32) (local $a v128) (local $q v128) (local $dv v128) (local $mv v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $r0 (i32.const 0))
    (block $blocksDone
      (loop $block
        (br_if $blocksDone (i32.ge_u (local.get $r0) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r0) (i32.const 32)))
        (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
        (local.set $k (i32.const 0))
        (block $chDone
          (loop $ch
            (br_if $chDone (i32.ge_u (local.get $k) (local.get $c)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $c)) (local.get $k)) (i32.const 2)))
            (local.set $end (i32.shl (i32.add (i32.mul (local.get $r1) (local.get $c)) (local.get $k)) (i32.const 2)))
            (local.set $a (v128.const i32x4 0 0 0 0))
            (local.set $q (v128.const i32x4 0 0 0 0))
            (local.set $mv (v128.load (i32.add (local.get $mean) (i32.shl (local.get $k) (i32.const 2)))))
            (block $rDone
              (loop $rLoop
                (br_if $rDone (i32.ge_u (local.get $o) (local.get $end)))
                (local.set $dv (v128.load (i32.add (local.get $dy) (local.get $o))))
                (local.set $a (f32x4.add (local.get $a) (local.get $dv)))
                (local.set $q (f32x4.add (local.get $q)
                  (f32x4.mul (local.get $dv) (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $o))) (local.get $mv)))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (br $rLoop)))
            (local.set $s (i32.add (local.get $sumDy) (i32.shl (local.get $k) (i32.const 3))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $a))))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (call $promoteHigh (local.get $a))))
            (local.set $s (i32.add (local.get $sumDyXc) (i32.shl (local.get $k) (i32.const 3))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $q))))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (call $promoteHigh (local.get $q))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ch)))
        (local.set $r0 (local.get $r1))
        (br $block))))

  ;; dx = a[k]·dy + bx[k]·(x − mean[k]) + c0[k] (f32 per-channel coefficients).
  (func (export "bnGradApply")
    (param $x i32) (param $dy i32) (param $dx i32) (param $mean i32) (param $a i32) (param $bx i32) (param $c0 i32)
    (param $rows i32) (param $c i32)
    (local $r i32) (local $k i32) (local $o i32) (local $kb i32)
    (local.set $o (i32.const 0))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $chDone
          (loop $ch
            (br_if $chDone (i32.ge_u (local.get $k) (local.get $c)))
            (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
            (v128.store (i32.add (local.get $dx) (local.get $o))
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $kb))) (v128.load (i32.add (local.get $dy) (local.get $o))))
                  (f32x4.mul (v128.load (i32.add (local.get $bx) (local.get $kb)))
                    (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $mean) (local.get $kb))))))
                (v128.load (i32.add (local.get $c0) (local.get $kb)))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ch)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; ---- filter gradient as one GEMM (src/backend/kernels/conv/filter-grad-gemm.ts) ----

  ;; dst[i] = 0 for n floats.
  (func $zero (param $d i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $v4done
      (loop $v4
        (br_if $v4done (i32.ge_u (local.get $d) (local.get $end4)))
        (v128.store (local.get $d) (v128.const i32x4 0 0 0 0))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (br $v4)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (f32.store (local.get $d) (f32.const 0))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (br $one))))

  ;; dst[i] = src[i] for n floats (no overlap).
  (func $copy (param $d i32) (param $s i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $v4done
      (loop $v4
        (br_if $v4done (i32.ge_u (local.get $d) (local.get $end4)))
        (v128.store (local.get $d) (v128.load (local.get $s)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $v4)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (f32.store (local.get $d) (f32.load (local.get $s)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $one))))

;; dst[c·rows + r] = src[r·cols + c] (2-D transpose of a [rows, cols] matrix): 4×4 blocks in registers
  ;; (two rounds of lane shuffles), 16 columns at a time so that at most 16 output rows are written
  ;; concurrently; the rows % 4 and cols % 4 edges element by element.
  (func (export "transpose2d") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $c0 i32) (local $c1 i32) (local $r i32) (local $c i32) (local $s i32) (local $d i32)
    (local $rows4 i32) (local $cols4 i32) (local $rowBytes i32) (local $colBytes i32)
    (local $a v128) (local $b v128) (local $e v128) (local $f v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $c0 (i32.const 0))
    (block $blocksDone
      (loop $block
        (br_if $blocksDone (i32.ge_u (local.get $c0) (local.get $cols4)))
        (local.set $c1 (i32.add (local.get $c0) (i32.const 16)))
        (if (i32.gt_u (local.get $c1) (local.get $cols4)) (then (local.set $c1 (local.get $cols4))))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows4)))
            (local.set $c (local.get $c0))
            (block $colsDone
              (loop $col
                (br_if $colsDone (i32.ge_u (local.get $c) (local.get $c1)))
                ;; rows r..r+3, columns c..c+3
                (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
                (local.set $a (v128.load (local.get $s)))
                (local.set $b (v128.load (i32.add (local.get $s) (local.get $colBytes))))
                (local.set $e (v128.load (i32.add (local.get $s) (i32.shl (local.get $colBytes) (i32.const 1)))))
                (local.set $f (v128.load (i32.add (local.get $s) (i32.mul (local.get $colBytes) (i32.const 3)))))
                ;; t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = e0 f0 e1 f1, t3 = e2 f2 e3 f3
                (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
                (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
                (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e) (local.get $f)))
                (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $e) (local.get $f)))
                (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
                (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $d) (local.get $rowBytes))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $d) (i32.shl (local.get $rowBytes) (i32.const 1)))
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                (v128.store (i32.add (local.get $d) (i32.mul (local.get $rowBytes) (i32.const 3)))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $col)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $row)))
        (local.set $c0 (local.get $c1))
        (br $block)))
    ;; edges: columns [cols4, cols) of rows [0, rows4), then rows [rows4, rows) of all columns
    (call $transposeRange (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols)
      (i32.const 0) (local.get $rows4) (local.get $cols4) (local.get $cols))
    (call $transposeRange (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols)
      (local.get $rows4) (local.get $rows) (i32.const 0) (local.get $cols)))

  ;; The element-by-element transpose of rows [r0, r1) × columns [c0, c1) of a [rows, cols] matrix.
  (func $transposeRange (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (param $r0 i32) (param $r1 i32) (param $c0 i32) (param $c1 i32)
    (local $r i32) (local $c i32)
    (local.set $r (local.get $r0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $c (local.get $c0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $c) (local.get $c1)))
            (f32.store
              (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

    ;; Transposed patches: dst[t, p] with t = (ky·kw + kx)·C + c (HWIO order of the filter) and
  ;; p = (b·oh + oy)·ow + ox, = x[c, b, oy·sh + ky − pt, ox·sw + kx − pl] (0 outside the input), for a planar
  ;; input src = [C, nb, h, w]. Output: C·kh·kw rows of nb·oh·ow floats.
  (func (export "im2colT")
    (param $src i32) (param $dst i32) (param $C i32) (param $nb i32) (param $h i32) (param $w i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (param $oh i32) (param $ow i32)
    (local $ky i32) (local $kx i32) (local $c i32) (local $b i32) (local $oy i32) (local $ox i32)
    (local $ox0 i32) (local $ox1 i32) (local $iy i32) (local $d i32) (local $rowSrc i32) (local $plane i32)
    (local $rowBytes i32) (local $sw4 i32)
    (local.set $d (local.get $dst))
    (local.set $rowBytes (i32.shl (local.get $ow) (i32.const 2)))
    (local.set $sw4 (i32.shl (local.get $sw) (i32.const 2)))
    (local.set $ky (i32.const 0))
    (block $kyDone
      (loop $kyLoop
        (br_if $kyDone (i32.ge_u (local.get $ky) (local.get $kh)))
        (local.set $kx (i32.const 0))
        (block $kxDone
          (loop $kxLoop
            (br_if $kxDone (i32.ge_u (local.get $kx) (local.get $kw)))
            ;; valid outputs along x: ox·sw + kx − pl ∈ [0, w)
            (local.set $ox0 (i32.const 0))
            (block $f0
              (loop $l0
                (br_if $f0 (i32.ge_s (local.get $ox0) (local.get $ow)))
                (br_if $f0 (i32.ge_s (i32.sub (i32.add (i32.mul (local.get $ox0) (local.get $sw)) (local.get $kx)) (local.get $pl)) (i32.const 0)))
                (local.set $ox0 (i32.add (local.get $ox0) (i32.const 1)))
                (br $l0)))
            (local.set $ox1 (local.get $ox0))
            (block $f1
              (loop $l1
                (br_if $f1 (i32.ge_s (local.get $ox1) (local.get $ow)))
                (br_if $f1 (i32.ge_s (i32.sub (i32.add (i32.mul (local.get $ox1) (local.get $sw)) (local.get $kx)) (local.get $pl)) (local.get $w)))
                (local.set $ox1 (i32.add (local.get $ox1) (i32.const 1)))
                (br $l1)))
            (local.set $c (i32.const 0))
            (block $cDone
              (loop $cLoop
                (br_if $cDone (i32.ge_u (local.get $c) (local.get $C)))
                (local.set $b (i32.const 0))
                (block $bDone
                  (loop $bLoop
                    (br_if $bDone (i32.ge_u (local.get $b) (local.get $nb)))
                    (local.set $plane (i32.mul (i32.add (i32.mul (local.get $c) (local.get $nb)) (local.get $b)) (local.get $h)))
                    (local.set $oy (i32.const 0))
                    (block $oyDone
                      (loop $oyLoop
                        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
                        (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $ky)) (local.get $pt)))
                        (if (i32.or (i32.lt_s (local.get $iy) (i32.const 0)) (i32.ge_s (local.get $iy) (local.get $h)))
                          (then (call $zero (local.get $d) (local.get $ow)))
                          (else
                            ;; address of x[c, b, iy, kx − pl] (+ 4·ox·sw for output ox)
                            (local.set $rowSrc (i32.add (local.get $src)
                              (i32.shl (i32.sub (i32.add (i32.mul (i32.add (local.get $plane) (local.get $iy)) (local.get $w)) (local.get $kx)) (local.get $pl)) (i32.const 2))))
                            (call $zero (local.get $d) (local.get $ox0))
                            (if (i32.eq (local.get $sw) (i32.const 1))
                              (then
                                (call $copy
                                  (i32.add (local.get $d) (i32.shl (local.get $ox0) (i32.const 2)))
                                  (i32.add (local.get $rowSrc) (i32.shl (local.get $ox0) (i32.const 2)))
                                  (i32.sub (local.get $ox1) (local.get $ox0))))
                              (else
                                (local.set $ox (local.get $ox0))
                                (block $oxDone
                                  (loop $oxLoop
                                    (br_if $oxDone (i32.ge_s (local.get $ox) (local.get $ox1)))
                                    (f32.store (i32.add (local.get $d) (i32.shl (local.get $ox) (i32.const 2)))
                                      (f32.load (i32.add (local.get $rowSrc) (i32.mul (local.get $ox) (local.get $sw4)))))
                                    (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                                    (br $oxLoop)))))
                            (call $zero (i32.add (local.get $d) (i32.shl (local.get $ox1) (i32.const 2))) (i32.sub (local.get $ow) (local.get $ox1)))))
                        (local.set $d (i32.add (local.get $d) (local.get $rowBytes)))
                        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
                        (br $oyLoop)))
                    (local.set $b (i32.add (local.get $b) (i32.const 1)))
                    (br $bLoop)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $cLoop)))
            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
            (br $kxLoop)))
        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
        (br $kyLoop))))

  ;; dst[i] += src[i] for n floats.
  (func $addTo (export "addTo") (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $v4done
      (loop $v4
        (br_if $v4done (i32.ge_u (local.get $dst) (local.get $end4)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $v4)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $one))))

  ;; dst[i] = src[i] for n floats (no overlap).
  (func (export "copyF32") (param $dst i32) (param $src i32) (param $n i32)
    (call $copy (local.get $dst) (local.get $src) (local.get $n)))

;; c[r, j] = min(max(c[r, j] + bias[j], lo), hi) for a [rows, cols] matrix; bias only when hasBias ≠ 0.
  ;; Four columns at a time (f32x4.min/max: the same NaN and ±0 rules as the scalar f32.min/max), the
  ;; cols % 4 last ones one by one.
  (func (export "biasClamp") (param $c i32) (param $bias i32) (param $hasBias i32) (param $rows i32) (param $cols i32)
    (param $lo f32) (param $hi f32)
    (local $r i32) (local $j i32) (local $v f32) (local $cols4 i32) (local $Slo v128) (local $Shi v128) (local $w v128)
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $Slo (f32x4.splat (local.get $lo)))
    (local.set $Shi (f32x4.splat (local.get $hi)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $j) (local.get $cols4)))
            (local.set $w (v128.load (local.get $c)))
            (if (local.get $hasBias)
              (then (local.set $w (f32x4.add (local.get $w) (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
            (v128.store (local.get $c) (f32x4.min (f32x4.max (local.get $w) (local.get $Slo)) (local.get $Shi)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vec)))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $v (f32.load (local.get $c)))
            (if (local.get $hasBias)
              (then (local.set $v (f32.add (local.get $v) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
            (f32.store (local.get $c) (f32.min (f32.max (local.get $v) (local.get $lo)) (local.get $hi)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

;; ReLU gradient: out[i] = y[i] > 0 ? dy[i] : 0 for n floats (y = the ReLU's output; as tfjs' dy·step(y), except
  ;; that a NaN y passes 0 instead of NaN).
  (func (export "reluGrad") (param $dy i32) (param $y i32) (param $out i32) (param $n i32)
    (local $end i32) (local $end4 i32) (local $o i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $v4done
      (loop $v4
        (br_if $v4done (i32.ge_u (local.get $o) (local.get $end4)))
        (v128.store (i32.add (local.get $out) (local.get $o))
          (v128.and (v128.load (i32.add (local.get $dy) (local.get $o)))
            (f32x4.gt (v128.load (i32.add (local.get $y) (local.get $o))) (v128.const i32x4 0 0 0 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $v4)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $out) (local.get $o))
          (select (f32.load (i32.add (local.get $dy) (local.get $o))) (f32.const 0)
            (f32.gt (f32.load (i32.add (local.get $y) (local.get $o))) (f32.const 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one))))

;; col2im for the input gradient of a stride-1 conv: dst[b, oy + ky − pt, ox + kx − pl, :] += src[p, (ky·kw + kx)·c : +c]
  ;; for p = (b·oh + oy)·ow + ox, over the taps that land inside dst [nb, h, w, c] (src: [nb·oh·ow, kh·kw·c]).
  (func (export "col2im") (param $src i32) (param $dst i32) (param $c i32) (param $nb i32) (param $h i32) (param $w i32)
    (param $kh i32) (param $kw i32) (param $pt i32) (param $pl i32) (param $oh i32) (param $ow i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $iy i32) (local $ix i32) (local $s i32) (local $cb i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $s (local.get $src))
    (local.set $b (i32.const 0))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $nb)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
                (local.set $ky (i32.const 0))
                (block $kyDone
                  (loop $kyLoop
                    (br_if $kyDone (i32.ge_u (local.get $ky) (local.get $kh)))
                    (local.set $iy (i32.sub (i32.add (local.get $oy) (local.get $ky)) (local.get $pt)))
                    (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
                      (then
                        (local.set $kx (i32.const 0))
                        (block $kxDone
                          (loop $kxLoop
                            (br_if $kxDone (i32.ge_u (local.get $kx) (local.get $kw)))
                            (local.set $ix (i32.sub (i32.add (local.get $ox) (local.get $kx)) (local.get $pl)))
                            (if (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (local.get $ix) (local.get $w)))
                              (then (call $addTo
                                (i32.add (local.get $dst) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cb)))
                                (i32.add (local.get $s) (i32.mul (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)) (local.get $cb)))
                                (local.get $c))))
                            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                            (br $kxLoop)))))
                    (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                    (br $kyLoop)))
                (local.set $s (i32.add (local.get $s) (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $cb))))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))

  ;; MaxPoolGrad of a 2×2 pool at stride 2 without padding (channels last, any c: four at a time, the last c mod 4 in a
  ;; scalar loop): for each window of
  ;; x [nb, h, w, c] (oh·ow windows per image, the top-left oh·2 × ow·2 pixels) the gradient dy[b, oy, ox, k]
  ;; goes to the first maximum in row-major window order (strict >, as tfjs' cpu backend: a NaN never wins;
  ;; a window of −∞/NaN gets none); the window's other pixels get 0. Pixels outside every window are untouched.
  (func (export "maxPoolGrad2x2") (param $x i32) (param $dy i32) (param $dx i32) (param $nb i32) (param $h i32) (param $w i32)
    (param $c i32) (param $oh i32) (param $ow i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $k i32) (local $p0 i32) (local $g i32) (local $pix i32) (local $row i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $best v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $gv v128) (local $o i32) (local $vec i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $sb f32) (local $sg f32) (local $win i32)
    (local.set $pix (i32.shl (local.get $c) (i32.const 2)))
    ;; bytes of the channels handled four at a time; the last c mod 4 channels of each pixel take the scalar loop
    (local.set $vec (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $row (i32.mul (local.get $w) (local.get $pix)))
    (local.set $g (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $nb)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
                ;; byte offset of pixel (b, 2·oy, 2·ox)
                (local.set $p0 (i32.add
                  (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.shl (local.get $oy) (i32.const 1))) (local.get $row))
                  (i32.mul (i32.shl (local.get $ox) (i32.const 1)) (local.get $pix))))
                (local.set $k (i32.const 0))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.ge_u (local.get $k) (local.get $vec)))
                    (local.set $o (i32.add (local.get $p0) (local.get $k)))
                    (local.set $v0 (v128.load (i32.add (local.get $x) (local.get $o))))
                    (local.set $v1 (v128.load (i32.add (i32.add (local.get $x) (local.get $o)) (local.get $pix))))
                    (local.set $v2 (v128.load (i32.add (i32.add (local.get $x) (local.get $o)) (local.get $row))))
                    (local.set $v3 (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $o)) (local.get $row)) (local.get $pix))))
                    ;; m_i: pixel i beats the best of pixels < i (the first, −∞); the winner is the last i with m_i
                    (local.set $m1 (f32x4.gt (local.get $v0) (f32x4.splat (f32.const -inf))))
                    (local.set $best (v128.bitselect (local.get $v0) (f32x4.splat (f32.const -inf)) (local.get $m1)))
                    (local.set $m1 (f32x4.gt (local.get $v1) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v1) (local.get $best) (local.get $m1)))
                    (local.set $m2 (f32x4.gt (local.get $v2) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v2) (local.get $best) (local.get $m2)))
                    (local.set $m3 (f32x4.gt (local.get $v3) (local.get $best)))
                    (local.set $gv (v128.load (local.get $g)))
                    ;; pixel 3 wins with m3; 2 with m2 ∧ ¬m3; 1 with m1 ∧ ¬m2 ∧ ¬m3; 0 with v0 > −∞ ∧ ¬m1 ∧ ¬m2 ∧ ¬m3
                    (v128.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $o)) (local.get $row)) (local.get $pix))
                      (v128.and (local.get $gv) (local.get $m3)))
                    (local.set $gv (v128.andnot (local.get $gv) (local.get $m3)))
                    (v128.store (i32.add (i32.add (local.get $dx) (local.get $o)) (local.get $row))
                      (v128.and (local.get $gv) (local.get $m2)))
                    (local.set $gv (v128.andnot (local.get $gv) (local.get $m2)))
                    (v128.store (i32.add (i32.add (local.get $dx) (local.get $o)) (local.get $pix))
                      (v128.and (local.get $gv) (local.get $m1)))
                    (local.set $gv (v128.andnot (local.get $gv) (local.get $m1)))
                    (v128.store (i32.add (local.get $dx) (local.get $o))
                      (v128.and (local.get $gv) (f32x4.gt (local.get $v0) (f32x4.splat (f32.const -inf)))))
                    (local.set $g (i32.add (local.get $g) (i32.const 16)))
                    (local.set $k (i32.add (local.get $k) (i32.const 16)))
                    (br $kLoop)))
                ;; scalar tail: the same rule (strict >, the first of equal maxima wins, NaN and −∞ never win)
                (block $tDone
                  (loop $tLoop
                    (br_if $tDone (i32.ge_u (local.get $k) (local.get $pix)))
                    (local.set $o (i32.add (local.get $p0) (local.get $k)))
                    (local.set $s0 (f32.load (i32.add (local.get $x) (local.get $o))))
                    (local.set $s1 (f32.load (i32.add (i32.add (local.get $x) (local.get $o)) (local.get $pix))))
                    (local.set $s2 (f32.load (i32.add (i32.add (local.get $x) (local.get $o)) (local.get $row))))
                    (local.set $s3 (f32.load (i32.add (i32.add (i32.add (local.get $x) (local.get $o)) (local.get $row)) (local.get $pix))))
                    (local.set $win (i32.const -1))
                    (local.set $sb (f32.const -inf))
                    (if (f32.gt (local.get $s0) (local.get $sb)) (then (local.set $win (i32.const 0)) (local.set $sb (local.get $s0))))
                    (if (f32.gt (local.get $s1) (local.get $sb)) (then (local.set $win (i32.const 1)) (local.set $sb (local.get $s1))))
                    (if (f32.gt (local.get $s2) (local.get $sb)) (then (local.set $win (i32.const 2)) (local.set $sb (local.get $s2))))
                    (if (f32.gt (local.get $s3) (local.get $sb)) (then (local.set $win (i32.const 3)) (local.set $sb (local.get $s3))))
                    (local.set $sg (f32.load (local.get $g)))
                    (f32.store (i32.add (local.get $dx) (local.get $o))
                      (select (local.get $sg) (f32.const 0) (i32.eq (local.get $win) (i32.const 0))))
                    (f32.store (i32.add (i32.add (local.get $dx) (local.get $o)) (local.get $pix))
                      (select (local.get $sg) (f32.const 0) (i32.eq (local.get $win) (i32.const 1))))
                    (f32.store (i32.add (i32.add (local.get $dx) (local.get $o)) (local.get $row))
                      (select (local.get $sg) (f32.const 0) (i32.eq (local.get $win) (i32.const 2))))
                    (f32.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $o)) (local.get $row)) (local.get $pix))
                      (select (local.get $sg) (f32.const 0) (i32.eq (local.get $win) (i32.const 3))))
                    (local.set $g (i32.add (local.get $g) (i32.const 4)))
                    (local.set $k (i32.add (local.get $k) (i32.const 4)))
                    (br $tLoop)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))

  ;; out[t, j] = Σ_p a[t, p] · b[p, j] for a [K, R] and b [R, N] (N % 16 == 0): Aᵀ·B-style products with a small
  ;; output (filter gradients of first layers: K = kh·kw·ci taps, R pixels, N output channels), added to out
  ;; [K, N]. Sixteen output columns of one row t are kept in registers over blocks of 256 pixels (f32 sums).
  (func (export "gemmSmallK") (param $a i32) (param $bm i32) (param $out i32) (param $K i32) (param $R i32) (param $N i32)
    (local $t i32) (local $j i32) (local $p i32) (local $p1 i32) (local $p0 i32) (local $rowA i32) (local $q i32) (local $nb i32) (local $o i32)
    (local $s v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $nb (i32.shl (local.get $N) (i32.const 2)))
    (local.set $p0 (i32.const 0))
    (block $pbDone
      (loop $pbLoop
        (br_if $pbDone (i32.ge_u (local.get $p0) (local.get $R)))
        (local.set $p1 (i32.add (local.get $p0) (i32.const 256)))
        (if (i32.gt_u (local.get $p1) (local.get $R)) (then (local.set $p1 (local.get $R))))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $N)))
            (local.set $t (i32.const 0))
            (block $tDone
              (loop $tLoop
                (br_if $tDone (i32.ge_u (local.get $t) (local.get $K)))
                (local.set $acc0 (v128.const i32x4 0 0 0 0))
                (local.set $acc1 (v128.const i32x4 0 0 0 0))
                (local.set $acc2 (v128.const i32x4 0 0 0 0))
                (local.set $acc3 (v128.const i32x4 0 0 0 0))
                (local.set $rowA (i32.add (local.get $a) (i32.shl (i32.mul (local.get $t) (local.get $R)) (i32.const 2))))
                (local.set $q (i32.add (local.get $bm) (i32.add (i32.mul (local.get $p0) (local.get $nb)) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $p (local.get $p0))
                (block $pDone
                  (loop $pLoop
                    (br_if $pDone (i32.ge_u (local.get $p) (local.get $p1)))
                    (local.set $s (v128.load32_splat (i32.add (local.get $rowA) (i32.shl (local.get $p) (i32.const 2)))))
                    (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (v128.load (local.get $q)))))
                    (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $q)))))
                    (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $q)))))
                    (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $q)))))
                    (local.set $q (i32.add (local.get $q) (local.get $nb)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $pLoop)))
                (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $N)) (local.get $j)) (i32.const 2))))
                (v128.store (local.get $o) (f32x4.add (v128.load (local.get $o)) (local.get $acc0)))
                (v128.store offset=16 (local.get $o) (f32x4.add (v128.load offset=16 (local.get $o)) (local.get $acc1)))
                (v128.store offset=32 (local.get $o) (f32x4.add (v128.load offset=32 (local.get $o)) (local.get $acc2)))
                (v128.store offset=48 (local.get $o) (f32x4.add (v128.load offset=48 (local.get $o)) (local.get $acc3)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tLoop)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $jLoop)))
        (local.set $p0 (local.get $p1))
        (br $pbLoop))))

  ;; sum[k] += Σ_r x[r, k] (c % 4 == 0; sum: c doubles, 8-byte aligned): Sum/Mean over leading axes.
  (func (export "colSums") (param $x i32) (param $rows i32) (param $c i32) (param $sum i32)
    (local $r0 i32) (local $r1 i32) (local $k i32) (local $o i32) (local $end i32) (local $rowBytes i32) (local $s i32) (local $a v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $r0 (i32.const 0))
    (block $blocksDone
      (loop $block
        (br_if $blocksDone (i32.ge_u (local.get $r0) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r0) (i32.const 32)))
        (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
        (local.set $k (i32.const 0))
        (block $chDone
          (loop $ch
            (br_if $chDone (i32.ge_u (local.get $k) (local.get $c)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $c)) (local.get $k)) (i32.const 2)))
            (local.set $end (i32.shl (i32.add (i32.mul (local.get $r1) (local.get $c)) (local.get $k)) (i32.const 2)))
            (local.set $a (v128.const i32x4 0 0 0 0))
            (block $rDone
              (loop $rLoop
                (br_if $rDone (i32.ge_u (local.get $o) (local.get $end)))
                (local.set $a (f32x4.add (local.get $a) (v128.load (i32.add (local.get $x) (local.get $o)))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (br $rLoop)))
            (local.set $s (i32.add (local.get $sum) (i32.shl (local.get $k) (i32.const 3))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $a))))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (call $promoteHigh (local.get $a))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ch)))
        (local.set $r0 (local.get $r1))
        (br $block))))
)
