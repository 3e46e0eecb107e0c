// A small seeded PRNG: xoshiro128** (Blackman and Vigna), seeded through splitmix32.
// Every random number in the core comes from one of these, never from Math.random(),
// so a given seed gives the same weights, dropout masks and replay order everywhere.

export class Prng {
  // The state lives in a typed array, not in fields: a field holding a 32-bit value that does
  // not fit V8's small integers is boxed, and every draw would allocate.
  private readonly s = new Uint32Array(4);
  private spare = NaN; // the second value of the last Box-Muller pair

  constructor(seed: number) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let s = seed >>> 0;
    const next = (): number => {
      // splitmix32
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = next();
    this.spare = NaN;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Fills out[0:n] with uniforms in [0, 1), the same numbers n calls of next() would give.
   * Allocates nothing: for masks on a hot path (a returned double may be boxed by V8).
   */
  fillUniform(out: { [i: number]: number }, n: number): void {
    for (let i = 0; i < n; i++) {
      const hi = this.nextU32() >>> 5;
      const lo = this.nextU32() >>> 6;
      out[i] = (hi * 67108864 + lo) / 9007199254740992;
    }
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** The generator's state, to snapshot and restore it exactly. */
  getState(): number[] {
    return Array.from(this.s);
  }

  setState(state: readonly number[]): void {
    this.s.set(state);
    this.spare = NaN;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
