// The one error type the core throws for bad input: a code a program can switch on,
// and a message that names the key, the expected shape and what was found.

export type CoreErrorCode =
  | 'bad-config' // an option out of range or of the wrong type
  | 'missing-key' // a state dict lacks a parameter
  | 'unexpected-key' // a state dict has a parameter the model does not
  | 'bad-shape' // an array of the wrong shape, or not an array of numbers
  | 'non-finite' // NaN or an infinity where a finite number is required
  | 'bad-call'; // a call out of order, e.g. backward before forward

export class CoreError extends Error {
  readonly code: CoreErrorCode;
  constructor(code: CoreErrorCode, message: string) {
    super(message);
    this.name = 'CoreError';
    this.code = code;
  }
}
