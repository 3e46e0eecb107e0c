// The source of the WebAssembly SIMD kernels (worker/core/kernels.ts runs them): the two products
// that dominate a training step and a forecast, as hand-written WebAssembly text, once for each
// storage type. f64 works on f64x2 lanes (float64 models keep PyTorch parity at 1e-10); f32 on
// f32x4 lanes (the engine's float32 models). scripts/wasm/build-kernels.ts compiles the text
// with wabt.
//
// Every address is a byte offset into the module's own memory, which the JS side carves into
// the model's arrays. The products are those of worker/core/recurrent.ts, the same sums but
// summed lane by lane (each lane over every L-th k, the lanes added at the end, then the tail):
//   matvec       y[r] (+)= Σ_k A[r*cols + k] x[k]                       four rows at a time
//   matvecBatch  y[b*ysB + r] (+)= Σ_k A[r*cols + k] x[b*xsB + k]       four vectors at a time

type Scalar = 'f64' | 'f32';

interface Lanes {
  t: Scalar; // the scalar type
  v: string; // the vector shape
  e: number; // bytes per element
  shift: number; // log2(e)
  lanes: number;
}

const LANES: Record<Scalar, Lanes> = {
  f64: { t: 'f64', v: 'f64x2', e: 8, shift: 3, lanes: 2 },
  f32: { t: 'f32', v: 'f32x4', e: 4, shift: 2, lanes: 4 },
};

/** The sum of the lanes of vector local `name`. */
function hsum(l: Lanes, name: string): string {
  const lane = (i: number) => `(${l.v}.extract_lane ${i} (local.get $${name}))`;
  if (l.lanes === 2) return `(${l.t}.add ${lane(0)} ${lane(1)})`;
  return `(${l.t}.add (${l.t}.add ${lane(0)} ${lane(1)}) (${l.t}.add ${lane(2)} ${lane(3)}))`;
}

/** y[addr] = s, or y[addr] += s when $acc. */
function store(l: Lanes, addr: string, s: string): string {
  return `(${l.t}.store ${addr} (select (${l.t}.add (${l.t}.load ${addr}) ${s}) ${s} (local.get $acc)))`;
}

function kernels(l: Lanes): string {
  const { t, v, e, shift, lanes } = l;
  const vb = 16; // bytes per vector
  const ld = (base: string) => `(v128.load (i32.add (local.get $${base}) (local.get $o)))`;
  const lds = (base: string) => `(${t}.load (i32.add (local.get $${base}) (local.get $o)))`;
  const fma = (accum: string, a: string, b: string) =>
    `(local.set $${accum} (${v}.add (local.get $${accum}) (${v}.mul ${a} ${b})))`;
  const fmas = (accum: string, a: string, b: string) =>
    `(local.set $${accum} (${t}.add (local.get $${accum}) (${t}.mul ${a} ${b})))`;
  const zero = (names: string[]) =>
    names.map((n) => `(local.set $${n} (v128.const i64x2 0 0))`).join('\n      ');
  const sums = (names: string[]) =>
    names.map((n) => `(local.set $s${n} ${hsum(l, n)})`).join('\n      ');
  const vecs4 = ['v0', 'v1', 'v2', 'v3'];
  return `
  ;; matvec_${t}(y, A, rows, cols, x, acc)
  (func $matvec_${t} (export "matvec_${t}")
    (param $y i32) (param $a i32) (param $rows i32) (param $cols i32) (param $x i32) (param $acc i32)
    (local $r i32) (local $o i32) (local $ov i32) (local $oe i32) (local $rb i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $xv v128)
    (local $sv0 ${t}) (local $sv1 ${t}) (local $sv2 ${t}) (local $sv3 ${t}) (local $xs ${t})
    (local.set $rb (i32.shl (local.get $cols) (i32.const ${shift})))
    ;; the bytes of a row that whole vectors cover, and of the whole row
    (local.set $ov (i32.shl (i32.and (local.get $cols) (i32.const ${-lanes})) (i32.const ${shift})))
    (local.set $oe (local.get $rb))
    (block $done4 (loop $rows4
      (br_if $done4 (i32.gt_s (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))
      (local.set $p0 (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $rb))))
      (local.set $p1 (i32.add (local.get $p0) (local.get $rb)))
      (local.set $p2 (i32.add (local.get $p1) (local.get $rb)))
      (local.set $p3 (i32.add (local.get $p2) (local.get $rb)))
      ${zero(vecs4)}
      (local.set $o (i32.const 0))
      (block $dv (loop $lv
        (br_if $dv (i32.ge_u (local.get $o) (local.get $ov)))
        (local.set $xv ${ld('x')})
        ${fma('v0', ld('p0'), '(local.get $xv)')}
        ${fma('v1', ld('p1'), '(local.get $xv)')}
        ${fma('v2', ld('p2'), '(local.get $xv)')}
        ${fma('v3', ld('p3'), '(local.get $xv)')}
        (local.set $o (i32.add (local.get $o) (i32.const ${vb})))
        (br $lv)))
      ${sums(vecs4)}
      (block $dt (loop $lt
        (br_if $dt (i32.ge_u (local.get $o) (local.get $oe)))
        (local.set $xs ${lds('x')})
        ${fmas('sv0', lds('p0'), '(local.get $xs)')}
        ${fmas('sv1', lds('p1'), '(local.get $xs)')}
        ${fmas('sv2', lds('p2'), '(local.get $xs)')}
        ${fmas('sv3', lds('p3'), '(local.get $xs)')}
        (local.set $o (i32.add (local.get $o) (i32.const ${e})))
        (br $lt)))
      (local.set $p0 (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const ${shift}))))
      ${store(l, '(local.get $p0)', '(local.get $sv0)')}
      ${store(l, `(i32.add (local.get $p0) (i32.const ${e}))`, '(local.get $sv1)')}
      ${store(l, `(i32.add (local.get $p0) (i32.const ${2 * e}))`, '(local.get $sv2)')}
      ${store(l, `(i32.add (local.get $p0) (i32.const ${3 * e}))`, '(local.get $sv3)')}
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $rows4)))
    ;; the last rows, one at a time
    (block $done1 (loop $rows1
      (br_if $done1 (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $p0 (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $rb))))
      (local.set $v0 (v128.const i64x2 0 0))
      (local.set $o (i32.const 0))
      (block $dv (loop $lv
        (br_if $dv (i32.ge_u (local.get $o) (local.get $ov)))
        ${fma('v0', ld('p0'), ld('x'))}
        (local.set $o (i32.add (local.get $o) (i32.const ${vb})))
        (br $lv)))
      (local.set $sv0 ${hsum(l, 'v0')})
      (block $dt (loop $lt
        (br_if $dt (i32.ge_u (local.get $o) (local.get $oe)))
        ${fmas('sv0', lds('p0'), lds('x'))}
        (local.set $o (i32.add (local.get $o) (i32.const ${e})))
        (br $lt)))
      (local.set $p0 (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const ${shift}))))
      ${store(l, '(local.get $p0)', '(local.get $sv0)')}
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows1))))

  ;; matvecBatch_${t}(y, ysB, A, rows, cols, x, xsB, nB, acc): strides in elements
  (func $matvecBatch_${t} (export "matvecBatch_${t}")
    (param $y i32) (param $ysB i32) (param $a i32) (param $rows i32) (param $cols i32)
    (param $x i32) (param $xsB i32) (param $nB i32) (param $acc i32)
    (local $b i32) (local $r i32) (local $o i32) (local $ov i32) (local $oe i32) (local $rb i32)
    (local $p0 i32) (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $w0 v128) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $sv0 ${t}) (local $sv1 ${t}) (local $sv2 ${t}) (local $sv3 ${t}) (local $ws ${t})
    (local.set $rb (i32.shl (local.get $cols) (i32.const ${shift})))
    (local.set $ov (i32.shl (i32.and (local.get $cols) (i32.const ${-lanes})) (i32.const ${shift})))
    (local.set $oe (local.get $rb))
    (local.set $xsB (i32.shl (local.get $xsB) (i32.const ${shift})))
    (local.set $ysB (i32.shl (local.get $ysB) (i32.const ${shift})))
    (block $doneB (loop $vecs4
      (br_if $doneB (i32.gt_s (i32.add (local.get $b) (i32.const 4)) (local.get $nB)))
      (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $xsB))))
      (local.set $x1 (i32.add (local.get $x0) (local.get $xsB)))
      (local.set $x2 (i32.add (local.get $x1) (local.get $xsB)))
      (local.set $x3 (i32.add (local.get $x2) (local.get $xsB)))
      (local.set $r (i32.const 0))
      (block $doneR (loop $rows1
        (br_if $doneR (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $p0 (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $rb))))
        ${zero(vecs4)}
        (local.set $o (i32.const 0))
        (block $dv (loop $lv
          (br_if $dv (i32.ge_u (local.get $o) (local.get $ov)))
          (local.set $w0 ${ld('p0')})
          ${fma('v0', '(local.get $w0)', ld('x0'))}
          ${fma('v1', '(local.get $w0)', ld('x1'))}
          ${fma('v2', '(local.get $w0)', ld('x2'))}
          ${fma('v3', '(local.get $w0)', ld('x3'))}
          (local.set $o (i32.add (local.get $o) (i32.const ${vb})))
          (br $lv)))
        ${sums(vecs4)}
        (block $dt (loop $lt
          (br_if $dt (i32.ge_u (local.get $o) (local.get $oe)))
          (local.set $ws ${lds('p0')})
          ${fmas('sv0', '(local.get $ws)', lds('x0'))}
          ${fmas('sv1', '(local.get $ws)', lds('x1'))}
          ${fmas('sv2', '(local.get $ws)', lds('x2'))}
          ${fmas('sv3', '(local.get $ws)', lds('x3'))}
          (local.set $o (i32.add (local.get $o) (i32.const ${e})))
          (br $lt)))
        ;; y row r of the four vectors
        (local.set $p0 (i32.add (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $ysB)))
          (i32.shl (local.get $r) (i32.const ${shift}))))
        ${[0, 1, 2, 3]
          .map((i) =>
            store(
              l,
              `(i32.add (local.get $p0) (i32.mul (local.get $ysB) (i32.const ${i})))`,
              `(local.get $sv${i})`,
            ),
          )
          .join('\n        ')}
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows1)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $vecs4)))
    ;; the last vectors, one at a time
    (block $done1 (loop $vecs1
      (br_if $done1 (i32.ge_s (local.get $b) (local.get $nB)))
      (call $matvec_${t}
        (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $ysB)))
        (local.get $a) (local.get $rows) (local.get $cols)
        (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $xsB)))
        (local.get $acc))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $vecs1))))
`;
}

/**
 * The LSTM cell of one step and one sequence, float32, four units at a time (H a multiple of
 * 4), as the pointwise loop of lstm.ts's lstmLayerForward:
 *   z += b_ih + b_hh (when $bias)   i, f, o = σ(z_i, z_f, z_o)   g = tanh(z_g)  (stored over z)
 *   c = f * c_prev + i * g          tc = tanh(c)                  h = o * tc
 * with exp(x) = 2^n e^r, n = nearest(x log2 e), r = x - n ln 2 (ln 2 split in two so n ln 2 is
 * exact), e^r by its Taylor series to r^6 (|r| <= 0.35: relative error under 2e-7, float32's own
 * rounding); σ(x) = 1 / (1 + e^-x), tanh(x) = 1 - 2 / (e^2x + 1). x is clamped to [-87, 88], where
 * 2^n stays a normal float32; NaN stays NaN.
 */
const CELL_F32 = `
  (func $exp4 (param $x v128) (result v128) (local $n v128) (local $r v128)
    (local.set $x (f32x4.max (f32x4.min (local.get $x) (v128.const f32x4 88 88 88 88))
      (v128.const f32x4 -87 -87 -87 -87)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x)
      (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x)
      (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
      (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (f32x4.mul
      ${[1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1].reduce(
        (acc, c) =>
          `(f32x4.add (f32x4.mul ${acc} (local.get $r)) (v128.const f32x4 ${c} ${c} ${c} ${c}))`,
        '(v128.const f32x4 0 0 0 0)',
      )}
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127))
        (i32.const 23))))
  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp4 (f32x4.neg (local.get $x))))))
  (func $tanh4 (param $x v128) (result v128)
    (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.div (v128.const f32x4 2 2 2 2)
      (f32x4.add (call $exp4 (f32x4.add (local.get $x) (local.get $x))) (v128.const f32x4 1 1 1 1)))))
  ;; lstmCell_f32(z, bih, bhh, bias, cPrev, c, tc, h, H)
  (func $lstmCell_f32 (export "lstmCell_f32")
    (param $z i32) (param $bi i32) (param $bh i32) (param $bias i32) (param $c0 i32) (param $c1 i32)
    (param $tc i32) (param $h i32) (param $H i32)
    (local $o i32) (local $hb i32) (local $p i32) (local $gi v128) (local $gf v128) (local $gg v128)
    (local $go v128) (local $c v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (block $done (loop $units
      (br_if $done (i32.ge_u (local.get $o) (local.get $hb)))
      (local.set $p (i32.add (local.get $z) (local.get $o)))
      ${['gi', 'gf', 'gg', 'go']
        .map(
          (
            g,
            i,
          ) => `(local.set $${g} (v128.load (i32.add (local.get $p) (i32.mul (local.get $hb) (i32.const ${i})))))
      (if (local.get $bias) (then (local.set $${g} (f32x4.add (local.get $${g}) (f32x4.add
        (v128.load (i32.add (local.get $bi) (i32.add (local.get $o) (i32.mul (local.get $hb) (i32.const ${i})))))
        (v128.load (i32.add (local.get $bh) (i32.add (local.get $o) (i32.mul (local.get $hb) (i32.const ${i}))))))))))`,
        )
        .join('\n      ')}
      (local.set $gi (call $sigmoid4 (local.get $gi)))
      (local.set $gf (call $sigmoid4 (local.get $gf)))
      (local.set $gg (call $tanh4 (local.get $gg)))
      (local.set $go (call $sigmoid4 (local.get $go)))
      ${['gi', 'gf', 'gg', 'go']
        .map(
          (g, i) =>
            `(v128.store (i32.add (local.get $p) (i32.mul (local.get $hb) (i32.const ${i}))) (local.get $${g}))`,
        )
        .join('\n      ')}
      (local.set $c (f32x4.add (f32x4.mul (local.get $gf) (v128.load (i32.add (local.get $c0) (local.get $o))))
        (f32x4.mul (local.get $gi) (local.get $gg))))
      (v128.store (i32.add (local.get $c1) (local.get $o)) (local.get $c))
      (local.set $c (call $tanh4 (local.get $c)))
      (v128.store (i32.add (local.get $tc) (local.get $o)) (local.get $c))
      (v128.store (i32.add (local.get $h) (local.get $o)) (f32x4.mul (local.get $go) (local.get $c)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $units))))
  ;; gruCell_f32(gi, gh, bih, bhh, bias, hPrev, ghn, h, y, H), as the pointwise loop of gru.ts's
  ;; gruLayerForward; gi in: W_ih x, out: r, z, n; gh in: W_hh h_prev (read only):
  ;;   r = σ(gi_r + gh_r + b)   z = σ(gi_z + gh_z + b)   ghn = gh_n + b_hn
  ;;   n = tanh(gi_n + b_in + r * ghn)   h = y = n + z * (h_prev - n)
  ;; ghn may be gh's n rows and h may be h_prev (the step path): each is read before it is written.
  (func $gruCell_f32 (export "gruCell_f32")
    (param $gi i32) (param $gh i32) (param $bi i32) (param $bh i32) (param $bias i32)
    (param $h0 i32) (param $ghn i32) (param $h1 i32) (param $y i32) (param $H i32)
    (local $o i32) (local $hb i32) (local $p i32) (local $q i32) (local $r v128) (local $z v128)
    (local $n v128) (local $hn v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (block $done (loop $units
      (br_if $done (i32.ge_u (local.get $o) (local.get $hb)))
      (local.set $p (i32.add (local.get $gi) (local.get $o)))
      (local.set $q (i32.add (local.get $gh) (local.get $o)))
      (local.set $r (f32x4.add (v128.load (local.get $p)) (v128.load (local.get $q))))
      (local.set $z (f32x4.add (v128.load (i32.add (local.get $p) (local.get $hb)))
        (v128.load (i32.add (local.get $q) (local.get $hb)))))
      (local.set $q (i32.add (local.get $q) (i32.shl (local.get $hb) (i32.const 1))))
      (local.set $n (v128.load (i32.add (local.get $p) (i32.shl (local.get $hb) (i32.const 1)))))
      (local.set $hn (v128.load (local.get $q)))
      (if (local.get $bias) (then
        (local.set $q (i32.add (local.get $bi) (local.get $o)))
        (local.set $r (f32x4.add (local.get $r) (v128.load (local.get $q))))
        (local.set $z (f32x4.add (local.get $z) (v128.load (i32.add (local.get $q) (local.get $hb)))))
        (local.set $n (f32x4.add (local.get $n)
          (v128.load (i32.add (local.get $q) (i32.shl (local.get $hb) (i32.const 1))))))
        (local.set $q (i32.add (local.get $bh) (local.get $o)))
        (local.set $r (f32x4.add (local.get $r) (v128.load (local.get $q))))
        (local.set $z (f32x4.add (local.get $z) (v128.load (i32.add (local.get $q) (local.get $hb)))))
        (local.set $hn (f32x4.add (local.get $hn)
          (v128.load (i32.add (local.get $q) (i32.shl (local.get $hb) (i32.const 1))))))))
      (local.set $r (call $sigmoid4 (local.get $r)))
      (local.set $z (call $sigmoid4 (local.get $z)))
      (local.set $n (call $tanh4 (f32x4.add (local.get $n) (f32x4.mul (local.get $r) (local.get $hn)))))
      (v128.store (local.get $p) (local.get $r))
      (v128.store (i32.add (local.get $p) (local.get $hb)) (local.get $z))
      (v128.store (i32.add (local.get $p) (i32.shl (local.get $hb) (i32.const 1))) (local.get $n))
      (v128.store (i32.add (local.get $ghn) (local.get $o)) (local.get $hn))
      (local.set $n (f32x4.add (local.get $n) (f32x4.mul (local.get $z)
        (f32x4.sub (v128.load (i32.add (local.get $h0) (local.get $o))) (local.get $n)))))
      (v128.store (i32.add (local.get $h1) (local.get $o)) (local.get $n))
      (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $n))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $units))))
`;

/**
 * A module: one memory, imported (the JS side sizes it), the products of the given types, and
 * the float32 LSTM and GRU cells with the f32 ones.
 */
export function kernelsWat(types: readonly Scalar[]): string {
  return `(module
  (import "env" "memory" (memory 1))
${types.map((t) => kernels(LANES[t])).join('\n')}
${types.includes('f32') ? CELL_F32 : ''})
`;
}
