;; prunekit's depthwise-convolution inference kernel in wasm SIMD (128-bit), on the tfjs wasm backend's own heap
;; (memory imported, every pointer a byte offset into it). Regenerate dwconv.generated.ts after editing:
;;   node scripts/build-simd.mjs
;;
;;   y[b, oy, ox, k] = act( bias[k] + Σ_{ky,kx} x[b, oy·sh + ky − pt, ox·sw + kx − pl, k] · w[ky, kx, k] )
;;
;; NHWC input and output, filter [kh, kw, c] (tfjs' [kh, kw, c, 1]), channel multiplier 1, no dilation; taps
;; outside the input are skipped (zero padding). act = clamp to [lo, hi] (linear: −∞, +∞; relu: 0, +∞;
;; relu6: 0, 6) with pmin/pmax (one minps/maxps each). Channels are innermost: 4 per f32x4, the c mod 4 last
;; ones in scalar f32. No indirection buffer: for a 3×3 kernel each output pixel computes its 9 tap addresses
;; (a caller-provided zero buffer of ≥ c floats stands in for taps outside the input) and runs an unrolled
;; 9-tap loop over the channels; other kernel sizes (and the c mod 4 channels) accumulate tap by tap into the
;; output pixel, visiting only the taps inside the input.
(module
  (import "env" "memory" (memory 1))

  ;; One output pixel, any kernel size, channels [k0, c): d[k] = act(bias[k] + Σ valid taps x·w).
  ;; xp = address of x[b, iy0, ix0, 0] (iy0/ix0 may be negative: only the valid taps ky ∈ [ky0, ky1),
  ;; kx ∈ [kx0, kx1) are read), rowBytes = w·c·4, c4 = c·4.
  (func $pixel
    (param $xp i32) (param $wt i32) (param $bias i32) (param $hasBias i32) (param $d i32)
    (param $c i32) (param $rowBytes i32) (param $kw i32)
    (param $ky0 i32) (param $ky1 i32) (param $kx0 i32) (param $kx1 i32) (param $k0 i32)
    (param $lo f32) (param $hi f32)
    (local $c4 i32) (local $v4end i32) (local $end i32) (local $o i32)
    (local $ky i32) (local $kx i32) (local $xs i32) (local $ws i32)
    (local $Slo v128) (local $Shi v128)
    (local.set $c4 (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (local.get $c4))
    ;; vector part ends at the last multiple of 4 channels (bytes: of 16)
    (local.set $v4end (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $Slo (f32x4.splat (local.get $lo)))
    (local.set $Shi (f32x4.splat (local.get $hi)))
    ;; init with the bias (or 0)
    (local.set $o (i32.shl (local.get $k0) (i32.const 2)))
    (block $i4done
      (loop $i4
        (br_if $i4done (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $v4end)))
        (v128.store (i32.add (local.get $d) (local.get $o))
          (if (result v128) (local.get $hasBias)
            (then (v128.load (i32.add (local.get $bias) (local.get $o))))
            (else (v128.const i32x4 0 0 0 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $i4)))
    (block $i1done
      (loop $i1
        (br_if $i1done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $d) (local.get $o))
          (if (result f32) (local.get $hasBias)
            (then (f32.load (i32.add (local.get $bias) (local.get $o))))
            (else (f32.const 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $i1)))
    ;; accumulate the valid taps
    (local.set $ky (local.get $ky0))
    (block $kyDone
      (loop $kyLoop
        (br_if $kyDone (i32.ge_s (local.get $ky) (local.get $ky1)))
        (local.set $kx (local.get $kx0))
        (block $kxDone
          (loop $kxLoop
            (br_if $kxDone (i32.ge_s (local.get $kx) (local.get $kx1)))
            (local.set $xs (i32.add (i32.add (local.get $xp) (i32.mul (local.get $ky) (local.get $rowBytes))) (i32.mul (local.get $kx) (local.get $c4))))
            (local.set $ws (i32.add (local.get $wt) (i32.mul (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)) (local.get $c4))))
            (local.set $o (i32.shl (local.get $k0) (i32.const 2)))
            (block $a4done
              (loop $a4
                (br_if $a4done (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $v4end)))
                (v128.store (i32.add (local.get $d) (local.get $o))
                  (f32x4.add (v128.load (i32.add (local.get $d) (local.get $o)))
                    (f32x4.mul (v128.load (i32.add (local.get $xs) (local.get $o))) (v128.load (i32.add (local.get $ws) (local.get $o))))))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (br $a4)))
            (block $a1done
              (loop $a1
                (br_if $a1done (i32.ge_u (local.get $o) (local.get $end)))
                (f32.store (i32.add (local.get $d) (local.get $o))
                  (f32.add (f32.load (i32.add (local.get $d) (local.get $o)))
                    (f32.mul (f32.load (i32.add (local.get $xs) (local.get $o))) (f32.load (i32.add (local.get $ws) (local.get $o))))))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (br $a1)))
            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
            (br $kxLoop)))
        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
        (br $kyLoop)))
    ;; activation
    (local.set $o (i32.shl (local.get $k0) (i32.const 2)))
    (block $c4done
      (loop $cl4
        (br_if $c4done (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $v4end)))
        (v128.store (i32.add (local.get $d) (local.get $o))
          (f32x4.pmin (f32x4.pmax (v128.load (i32.add (local.get $d) (local.get $o))) (local.get $Slo)) (local.get $Shi)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $cl4)))
    (block $c1done
      (loop $cl1
        (br_if $c1done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $d) (local.get $o))
          (f32.min (f32.max (f32.load (i32.add (local.get $d) (local.get $o))) (local.get $lo)) (local.get $hi)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $cl1))))

  ;; One output pixel of a 3×3 kernel, channels [0, v4end/4): the 9 taps unrolled. p0 … p8 = address of each
  ;; tap's input pixel x[b, iy0 + ky, ix0 + kx, 0] (row-major taps), or of a zero buffer of ≥ c floats for a
  ;; tap outside the input — so border pixels run the same loop (no indirection buffer: 9 pointers per pixel).
  (func $pixel3x3
    (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32) (param $p6 i32) (param $p7 i32) (param $p8 i32)
    (param $wt i32) (param $bias i32) (param $hasBias i32) (param $d i32)
    (param $c4 i32) (param $v4end i32) (param $Slo v128) (param $Shi v128)
    (local $o i32) (local $w0 i32) (local $c8 i32) (local $wr i32)
    (local $acc v128)
    (local.set $c8 (i32.shl (local.get $c4) (i32.const 1)))
    (local.set $wr (i32.mul (local.get $c4) (i32.const 3)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $v4end)))
        (local.set $w0 (i32.add (local.get $wt) (local.get $o)))
        (local.set $acc
          (if (result v128) (local.get $hasBias)
            (then (v128.load (i32.add (local.get $bias) (local.get $o))))
            (else (v128.const i32x4 0 0 0 0))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p0) (local.get $o))) (v128.load (local.get $w0)))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p1) (local.get $o))) (v128.load (i32.add (local.get $w0) (local.get $c4))))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p2) (local.get $o))) (v128.load (i32.add (local.get $w0) (local.get $c8))))))
        (local.set $w0 (i32.add (local.get $w0) (local.get $wr)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p3) (local.get $o))) (v128.load (local.get $w0)))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p4) (local.get $o))) (v128.load (i32.add (local.get $w0) (local.get $c4))))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p5) (local.get $o))) (v128.load (i32.add (local.get $w0) (local.get $c8))))))
        (local.set $w0 (i32.add (local.get $w0) (local.get $wr)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p6) (local.get $o))) (v128.load (local.get $w0)))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p7) (local.get $o))) (v128.load (i32.add (local.get $w0) (local.get $c4))))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $p8) (local.get $o))) (v128.load (i32.add (local.get $w0) (local.get $c8))))))
        (v128.store (i32.add (local.get $d) (local.get $o))
          (f32x4.pmin (f32x4.pmax (local.get $acc) (local.get $Slo)) (local.get $Shi)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; Two neighbouring output pixels (ox, ox + 1) of a 3×3 kernel with stride 1, channels [0, v4end/4): they share
  ;; 6 of their 9 input loads and all 9 weight loads per channel block. p<row><col> = address of input pixel
  ;; x[b, iy0 + row, ix0 + col, 0], col = 0 … 3 (or the zero buffer outside the input); d = the first output pixel.
  (func $pair3x3
    (param $p00 i32) (param $p01 i32) (param $p02 i32) (param $p03 i32) (param $p10 i32) (param $p11 i32) (param $p12 i32) (param $p13 i32) (param $p20 i32) (param $p21 i32) (param $p22 i32) (param $p23 i32)
    (param $wt i32) (param $bias i32) (param $hasBias i32) (param $d i32)
    (param $c4 i32) (param $v4end i32) (param $Slo v128) (param $Shi v128)
    (local $o i32) (local $w0 i32) (local $c8 i32) (local $wr i32) (local $d1 i32)
    (local $acc0 v128) (local $acc1 v128) (local $wa v128) (local $wb v128) (local $wc v128)
    (local $xa v128) (local $xb v128) (local $xc v128)
    (local.set $c8 (i32.shl (local.get $c4) (i32.const 1)))
    (local.set $wr (i32.mul (local.get $c4) (i32.const 3)))
    (local.set $d1 (i32.add (local.get $d) (local.get $c4)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $v4end)))
        (local.set $w0 (i32.add (local.get $wt) (local.get $o)))
        (local.set $acc0
          (if (result v128) (local.get $hasBias)
            (then (v128.load (i32.add (local.get $bias) (local.get $o))))
            (else (v128.const i32x4 0 0 0 0))))
        (local.set $acc1 (local.get $acc0))
        (local.set $wa (v128.load (local.get $w0)))
        (local.set $wb (v128.load (i32.add (local.get $w0) (local.get $c4))))
        (local.set $wc (v128.load (i32.add (local.get $w0) (local.get $c8))))
        (local.set $xa (v128.load (i32.add (local.get $p00) (local.get $o))))
        (local.set $xb (v128.load (i32.add (local.get $p01) (local.get $o))))
        (local.set $xc (v128.load (i32.add (local.get $p02) (local.get $o))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xa) (local.get $wa))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $xb) (local.get $wa))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xb) (local.get $wb))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $xc) (local.get $wb))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xc) (local.get $wc))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load (i32.add (local.get $p03) (local.get $o))) (local.get $wc))))
        (local.set $w0 (i32.add (local.get $w0) (local.get $wr)))
        (local.set $wa (v128.load (local.get $w0)))
        (local.set $wb (v128.load (i32.add (local.get $w0) (local.get $c4))))
        (local.set $wc (v128.load (i32.add (local.get $w0) (local.get $c8))))
        (local.set $xa (v128.load (i32.add (local.get $p10) (local.get $o))))
        (local.set $xb (v128.load (i32.add (local.get $p11) (local.get $o))))
        (local.set $xc (v128.load (i32.add (local.get $p12) (local.get $o))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xa) (local.get $wa))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $xb) (local.get $wa))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xb) (local.get $wb))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $xc) (local.get $wb))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xc) (local.get $wc))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load (i32.add (local.get $p13) (local.get $o))) (local.get $wc))))
        (local.set $w0 (i32.add (local.get $w0) (local.get $wr)))
        (local.set $wa (v128.load (local.get $w0)))
        (local.set $wb (v128.load (i32.add (local.get $w0) (local.get $c4))))
        (local.set $wc (v128.load (i32.add (local.get $w0) (local.get $c8))))
        (local.set $xa (v128.load (i32.add (local.get $p20) (local.get $o))))
        (local.set $xb (v128.load (i32.add (local.get $p21) (local.get $o))))
        (local.set $xc (v128.load (i32.add (local.get $p22) (local.get $o))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xa) (local.get $wa))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $xb) (local.get $wa))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xb) (local.get $wb))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $xc) (local.get $wb))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $xc) (local.get $wc))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load (i32.add (local.get $p23) (local.get $o))) (local.get $wc))))
        (v128.store (i32.add (local.get $d) (local.get $o))
          (f32x4.pmin (f32x4.pmax (local.get $acc0) (local.get $Slo)) (local.get $Shi)))
        (v128.store (i32.add (local.get $d1) (local.get $o))
          (f32x4.pmin (f32x4.pmax (local.get $acc1) (local.get $Slo)) (local.get $Shi)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; Output rows [r0, r1) of the depthwise convolution (see the file header); a row is one (b, oy) of the nb·oh
  ;; output rows of y: [nb, oh, ow, c] (the caller passes 0, nb·oh). zero: ≥ c floats of 0 (taps outside x).
  ;; 3×3 with stride 1 along x and c mod 4 = 0 runs pixel pairs, other 3×3 single pixels, other sizes $pixel.
  (func (export "dwconv")
    (param $x i32) (param $wt i32) (param $bias i32) (param $hasBias i32) (param $y i32)
    (param $h i32) (param $w i32) (param $c i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (param $oh i32) (param $ow i32) (param $lo f32) (param $hi f32) (param $zero i32) (param $r0 i32) (param $r1 i32)
    (local $rv0 i32) (local $rv1 i32) (local $rv2 i32) (local $rp0 i32) (local $rp1 i32) (local $rp2 i32)
    (local $cv0 i32) (local $cv1 i32) (local $cv2 i32) (local $cv3 i32) (local $co0 i32) (local $co1 i32) (local $co2 i32) (local $co3 i32)
    (local $pairs i32)
    (local $r i32) (local $oy i32) (local $ox i32) (local $iy0 i32) (local $ix0 i32)
    (local $ky0 i32) (local $ky1 i32) (local $kx0 i32) (local $kx1 i32)
    (local $c4 i32) (local $v4end i32) (local $rowBytes i32) (local $imgBytes i32) (local $xrow i32) (local $xp i32)
    (local $d i32) (local $fast i32) (local $Slo v128) (local $Shi v128)
    (local.set $c4 (i32.shl (local.get $c) (i32.const 2)))
    (local.set $v4end (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $w) (local.get $c4)))
    (local.set $imgBytes (i32.mul (local.get $h) (local.get $rowBytes)))
    (local.set $Slo (f32x4.splat (local.get $lo)))
    (local.set $Shi (f32x4.splat (local.get $hi)))
    (local.set $fast (i32.and (i32.eq (local.get $kh) (i32.const 3)) (i32.eq (local.get $kw) (i32.const 3))))
    ;; pixel pairs: 3×3, stride 1 along x, no scalar channels
    (local.set $pairs (i32.and (local.get $fast) (i32.and (i32.eq (local.get $sw) (i32.const 1)) (i32.eq (local.get $v4end) (local.get $c4)))))
    (local.set $d (i32.add (local.get $y) (i32.mul (i32.mul (local.get $r0) (local.get $ow)) (local.get $c4))))
    (local.set $r (local.get $r0))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $oy (i32.rem_u (local.get $r) (local.get $oh)))
        (local.set $iy0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $pt)))
        (local.set $ky0 (select (i32.sub (i32.const 0) (local.get $iy0)) (i32.const 0) (i32.lt_s (local.get $iy0) (i32.const 0))))
        (local.set $ky1 (i32.sub (local.get $h) (local.get $iy0)))
        (if (i32.gt_s (local.get $ky1) (local.get $kh)) (then (local.set $ky1 (local.get $kh))))
        ;; x[b, iy0, 0, 0] with b = r / oh
        (local.set $xrow (i32.add
          (i32.add (local.get $x) (i32.mul (i32.div_u (local.get $r) (local.get $oh)) (local.get $imgBytes)))
          (i32.mul (local.get $iy0) (local.get $rowBytes))))
        ;; 3×3: which of the three input rows exist, and their addresses (at ix = 0)
        (local.set $rv0 (i32.lt_u (local.get $iy0) (local.get $h)))
        (local.set $rv1 (i32.lt_u (i32.add (local.get $iy0) (i32.const 1)) (local.get $h)))
        (local.set $rv2 (i32.lt_u (i32.add (local.get $iy0) (i32.const 2)) (local.get $h)))
        (local.set $rp0 (local.get $xrow))
        (local.set $rp1 (i32.add (local.get $xrow) (local.get $rowBytes)))
        (local.set $rp2 (i32.add (local.get $rp1) (local.get $rowBytes)))
        (local.set $ox (i32.const 0))
        (block $oxDone
          (loop $oxLoop
            (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
            (local.set $ix0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pl)))
            (if (i32.and (local.get $pairs) (i32.lt_u (i32.add (local.get $ox) (i32.const 1)) (local.get $ow)))
              (then
                (local.set $cv0 (i32.lt_u (i32.add (local.get $ix0) (i32.const 0)) (local.get $w)))
                (local.set $co0 (i32.mul (i32.add (local.get $ix0) (i32.const 0)) (local.get $c4)))
                (local.set $cv1 (i32.lt_u (i32.add (local.get $ix0) (i32.const 1)) (local.get $w)))
                (local.set $co1 (i32.mul (i32.add (local.get $ix0) (i32.const 1)) (local.get $c4)))
                (local.set $cv2 (i32.lt_u (i32.add (local.get $ix0) (i32.const 2)) (local.get $w)))
                (local.set $co2 (i32.mul (i32.add (local.get $ix0) (i32.const 2)) (local.get $c4)))
                (local.set $cv3 (i32.lt_u (i32.add (local.get $ix0) (i32.const 3)) (local.get $w)))
                (local.set $co3 (i32.mul (i32.add (local.get $ix0) (i32.const 3)) (local.get $c4)))
                (call $pair3x3
                  (select (i32.add (local.get $rp0) (local.get $co0)) (local.get $zero) (i32.and (local.get $rv0) (local.get $cv0)))
                  (select (i32.add (local.get $rp0) (local.get $co1)) (local.get $zero) (i32.and (local.get $rv0) (local.get $cv1)))
                  (select (i32.add (local.get $rp0) (local.get $co2)) (local.get $zero) (i32.and (local.get $rv0) (local.get $cv2)))
                  (select (i32.add (local.get $rp0) (local.get $co3)) (local.get $zero) (i32.and (local.get $rv0) (local.get $cv3)))
                  (select (i32.add (local.get $rp1) (local.get $co0)) (local.get $zero) (i32.and (local.get $rv1) (local.get $cv0)))
                  (select (i32.add (local.get $rp1) (local.get $co1)) (local.get $zero) (i32.and (local.get $rv1) (local.get $cv1)))
                  (select (i32.add (local.get $rp1) (local.get $co2)) (local.get $zero) (i32.and (local.get $rv1) (local.get $cv2)))
                  (select (i32.add (local.get $rp1) (local.get $co3)) (local.get $zero) (i32.and (local.get $rv1) (local.get $cv3)))
                  (select (i32.add (local.get $rp2) (local.get $co0)) (local.get $zero) (i32.and (local.get $rv2) (local.get $cv0)))
                  (select (i32.add (local.get $rp2) (local.get $co1)) (local.get $zero) (i32.and (local.get $rv2) (local.get $cv1)))
                  (select (i32.add (local.get $rp2) (local.get $co2)) (local.get $zero) (i32.and (local.get $rv2) (local.get $cv2)))
                  (select (i32.add (local.get $rp2) (local.get $co3)) (local.get $zero) (i32.and (local.get $rv2) (local.get $cv3)))
                  (local.get $wt) (local.get $bias) (local.get $hasBias) (local.get $d)
                  (local.get $c4) (local.get $v4end) (local.get $Slo) (local.get $Shi))
                (local.set $d (i32.add (local.get $d) (i32.shl (local.get $c4) (i32.const 1))))
                (local.set $ox (i32.add (local.get $ox) (i32.const 2)))
                (br $oxLoop)))
            (local.set $kx0 (select (i32.sub (i32.const 0) (local.get $ix0)) (i32.const 0) (i32.lt_s (local.get $ix0) (i32.const 0))))
            (local.set $kx1 (i32.sub (local.get $w) (local.get $ix0)))
            (if (i32.gt_s (local.get $kx1) (local.get $kw)) (then (local.set $kx1 (local.get $kw))))
            (local.set $xp (i32.add (local.get $xrow) (i32.mul (local.get $ix0) (local.get $c4))))
            (if (local.get $fast)
              (then
                (local.set $cv0 (i32.lt_u (i32.add (local.get $ix0) (i32.const 0)) (local.get $w)))
                (local.set $co0 (i32.mul (i32.add (local.get $ix0) (i32.const 0)) (local.get $c4)))
                (local.set $cv1 (i32.lt_u (i32.add (local.get $ix0) (i32.const 1)) (local.get $w)))
                (local.set $co1 (i32.mul (i32.add (local.get $ix0) (i32.const 1)) (local.get $c4)))
                (local.set $cv2 (i32.lt_u (i32.add (local.get $ix0) (i32.const 2)) (local.get $w)))
                (local.set $co2 (i32.mul (i32.add (local.get $ix0) (i32.const 2)) (local.get $c4)))
                (call $pixel3x3
                  (select (i32.add (local.get $rp0) (local.get $co0)) (local.get $zero) (i32.and (local.get $rv0) (local.get $cv0)))
                  (select (i32.add (local.get $rp0) (local.get $co1)) (local.get $zero) (i32.and (local.get $rv0) (local.get $cv1)))
                  (select (i32.add (local.get $rp0) (local.get $co2)) (local.get $zero) (i32.and (local.get $rv0) (local.get $cv2)))
                  (select (i32.add (local.get $rp1) (local.get $co0)) (local.get $zero) (i32.and (local.get $rv1) (local.get $cv0)))
                  (select (i32.add (local.get $rp1) (local.get $co1)) (local.get $zero) (i32.and (local.get $rv1) (local.get $cv1)))
                  (select (i32.add (local.get $rp1) (local.get $co2)) (local.get $zero) (i32.and (local.get $rv1) (local.get $cv2)))
                  (select (i32.add (local.get $rp2) (local.get $co0)) (local.get $zero) (i32.and (local.get $rv2) (local.get $cv0)))
                  (select (i32.add (local.get $rp2) (local.get $co1)) (local.get $zero) (i32.and (local.get $rv2) (local.get $cv1)))
                  (select (i32.add (local.get $rp2) (local.get $co2)) (local.get $zero) (i32.and (local.get $rv2) (local.get $cv2)))
                  (local.get $wt) (local.get $bias) (local.get $hasBias) (local.get $d)
                  (local.get $c4) (local.get $v4end) (local.get $Slo) (local.get $Shi))
                (if (i32.lt_u (local.get $v4end) (local.get $c4))
                  (then
                    (call $pixel (local.get $xp) (local.get $wt) (local.get $bias) (local.get $hasBias) (local.get $d)
                      (local.get $c) (local.get $rowBytes) (local.get $kw) (local.get $ky0) (local.get $ky1) (local.get $kx0) (local.get $kx1)
                      (i32.and (local.get $c) (i32.const -4)) (local.get $lo) (local.get $hi)))))
              (else
                (call $pixel (local.get $xp) (local.get $wt) (local.get $bias) (local.get $hasBias) (local.get $d)
                  (local.get $c) (local.get $rowBytes) (local.get $kw) (local.get $ky0) (local.get $ky1) (local.get $kx0) (local.get $kx1)
                  (i32.const 0) (local.get $lo) (local.get $hi))))
            (local.set $d (i32.add (local.get $d) (local.get $c4)))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $oxLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))
)
