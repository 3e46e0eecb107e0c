// How errors cross the worker boundary. Comlink sends a thrown Error as { name, message, stack },
// losing its code; here an EngineError travels as { name, message, stack, code }.
// - The worker imports this module for its side effect: it wraps Comlink's "throw" transfer
//   handler. Other errors keep Comlink's own handling.
// - On the other side, Comlink's own handler already rebuilds it as an Error with that name and
//   code (it copies every field), which is all the element needs: src/ imports no runtime code
//   from worker/. A caller that wants `e instanceof EngineError` (Node code, tests) imports this
//   module too, and gets EngineErrors back:
//   `catch (e) { if (e instanceof EngineError && e.code === 'unknown-forecaster') ... }`.

import * as Comlink from 'comlink';
import { EngineError, type EngineErrorCode, type ErrorInfo } from './engine/errors';

// A Record, so that the compiler says so when errors.ts gains a code this list lacks.
const CODES: Record<EngineErrorCode, true> = {
  'bad-config': true,
  'bad-value': true,
  'bad-shape': true,
  'bad-time': true,
  'bad-snapshot': true,
  'bad-state-dict': true,
  diverged: true,
  'unknown-forecaster': true,
  'worker-error': true,
};

export function isEngineErrorCode(value: unknown): value is EngineErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}

/**
 * The error as the main thread should see it: an EngineError stays itself, any other error
 * (a bug, a CoreError that escaped the engine, a DataCloneError) becomes a 'worker-error' whose
 * message names what it was.
 */
export function toEngineError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  if (error instanceof Error) {
    const wrapped = new EngineError('worker-error', `${error.name}: ${error.message}`);
    if (error.stack) wrapped.stack = error.stack;
    return wrapped;
  }
  return new EngineError('worker-error', String(error));
}

/** The { code, message } of any error. */
export function errorInfo(error: unknown): ErrorInfo {
  const { code, message } = toEngineError(error);
  return { code, message };
}

/** An EngineError on the wire; the shape Comlink's own handler also reads (then as a plain Error). */
interface WireEngineError {
  isError: true;
  value: { name: 'EngineError'; code: EngineErrorCode; message: string; stack?: string };
}

function isWireEngineError(value: unknown): value is WireEngineError {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as { isError?: unknown; value?: { name?: unknown; code?: unknown } };
  return (
    w.isError === true &&
    typeof w.value === 'object' &&
    w.value !== null &&
    w.value.name === 'EngineError' &&
    isEngineErrorCode(w.value.code)
  );
}

const WRAPPED = Symbol.for('lstm-forecast.throw-handler');

type ThrowHandler = Comlink.TransferHandler<unknown, unknown> & { [WRAPPED]?: true };

function installThrowHandler(): void {
  const original = Comlink.transferHandlers.get('throw') as ThrowHandler | undefined;
  if (!original || original[WRAPPED]) return; // no handler to wrap, or wrapped already
  const handler: ThrowHandler = {
    [WRAPPED]: true,
    // Comlink hands its handler { value: thrown, [a private marker]: 0 }; only it can recognise that.
    canHandle: (value: unknown): value is unknown => original.canHandle(value),
    serialize(thrown: unknown): [unknown, Transferable[]] {
      const { value } = thrown as { value: unknown };
      if (!(value instanceof EngineError)) return original.serialize(thrown);
      const wire: WireEngineError = {
        isError: true,
        value: {
          name: 'EngineError',
          code: value.code,
          message: value.message,
          stack: value.stack,
        },
      };
      return [wire, []];
    },
    deserialize(wire: unknown): unknown {
      if (!isWireEngineError(wire)) return original.deserialize(wire);
      const error = new EngineError(wire.value.code, wire.value.message);
      // Where the caller awaited, then where the worker threw.
      if (wire.value.stack)
        error.stack = `${error.stack ?? ''}\n    --- in the worker ---\n${wire.value.stack}`;
      throw error;
    },
  };
  Comlink.transferHandlers.set('throw', handler);
}

installThrowHandler();
