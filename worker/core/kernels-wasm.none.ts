// The strict-CSP build's stand-in for kernels-wasm.gen.js (scripts/build.ts swaps it in): no
// WebAssembly in that build, decided when it is built, so a page whose Content-Security-Policy
// has no 'wasm-unsafe-eval' never sees a compilation attempt (nor a violation report) and the
// models run on the JS kernels.
export const kernelsWasm = '';
