// The engine's typed errors: a code a program can switch on, and a message for a person.
// They cross the worker boundary as { code, message }.

export type EngineErrorCode =
  | 'bad-config' // an option out of range or of the wrong type
  | 'bad-value' // a sample that is not a number (a string, an object, ...)
  | 'bad-shape' // the wrong number of features, or times that do not match the values
  | 'bad-time' // a timestamp that is not finite, goes backwards or repeats
  | 'bad-snapshot' // a snapshot of another version or shape, or damaged
  | 'bad-state-dict' // a PyTorch state_dict that does not fit the model
  | 'diverged' // training produced a non-finite loss, gradient or weight (recovered)
  | 'unknown-forecaster' // (worker) no forecaster under that id
  | 'worker-error'; // (worker) anything else that went wrong in the worker

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}

/** What crosses the worker boundary. */
export interface ErrorInfo {
  code: EngineErrorCode;
  message: string;
}
