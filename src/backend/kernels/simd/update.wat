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

  ;; Per-channel Σx and Σx² over `rows` rows of c channels (channels last), accumulated in f64 into
  ;; sum[c] and sumSq[c] (f64 arrays, added to).
  (func (export "bnSums")
    (param $x i32) (param $rows i32) (param $c i32) (param $sum i32) (param $sumSq i32)
    (local $r i32) (local $k i32) (local $p i32) (local $v v128) (local $lo v128) (local $hi v128) (local $s i32) (local $q i32)
    (local.set $p (local.get $x))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $chDone
          (loop $ch
            (br_if $chDone (i32.ge_u (local.get $k) (local.get $c)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $hi (call $promoteHigh (local.get $v)))
            (local.set $s (i32.add (local.get $sum) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $q (i32.add (local.get $sumSq) (i32.shl (local.get $k) (i32.const 3))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (local.get $lo)))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (local.get $hi)))
            (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (f64x2.mul (local.get $lo) (local.get $lo))))
            (v128.store offset=16 (local.get $q) (f64x2.add (v128.load offset=16 (local.get $q)) (f64x2.mul (local.get $hi) (local.get $hi))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ch)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

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

  ;; Σdy and Σdy·(x − mean) per channel, in f64 (mean: f32[c]; sums: f64[c], added to).
  (func (export "bnGradSums")
    (param $x i32) (param $dy i32) (param $mean i32) (param $rows i32) (param $c i32) (param $sumDy i32) (param $sumDyXc i32)
    (local $r i32) (local $k i32) (local $o i32) (local $xv v128) (local $dv v128) (local $mv v128)
    (local $dlo v128) (local $dhi v128) (local $s i32) (local $q i32)
    (local.set $o (i32.const 0))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $chDone
          (loop $ch
            (br_if $chDone (i32.ge_u (local.get $k) (local.get $c)))
            (local.set $xv (v128.load (i32.add (local.get $x) (local.get $o))))
            (local.set $dv (v128.load (i32.add (local.get $dy) (local.get $o))))
            (local.set $mv (v128.load (i32.add (local.get $mean) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $dlo (f64x2.promote_low_f32x4 (local.get $dv)))
            (local.set $dhi (call $promoteHigh (local.get $dv)))
            (local.set $s (i32.add (local.get $sumDy) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $q (i32.add (local.get $sumDyXc) (i32.shl (local.get $k) (i32.const 3))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (local.get $dlo)))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (local.get $dhi)))
            (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q))
              (f64x2.mul (local.get $dlo) (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $mv))))))
            (v128.store offset=16 (local.get $q) (f64x2.add (v128.load offset=16 (local.get $q))
              (f64x2.mul (local.get $dhi) (f64x2.sub (call $promoteHigh (local.get $xv)) (call $promoteHigh (local.get $mv))))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ch)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

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
)
