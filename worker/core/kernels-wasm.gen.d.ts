// The type of kernels-wasm.gen.js, which scripts/wasm/build-kernels.ts generates (not committed).
/** The SIMD kernels' WebAssembly module, base64; empty in a build without WebAssembly. */
export declare const kernelsWasm: string;
