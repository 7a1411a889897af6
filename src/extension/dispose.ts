/**
 * Ownership of listeners, panels and processes, after vscode-hexeditor's src/dispose.ts: whatever
 * an object creates it `_register`s, and disposing the owner disposes everything it owns, once.
 * Plain TypeScript (no `vscode` import), so that unit-tested modules can use it too.
 */
export interface IDisposable {
  dispose(): void;
}

export function disposeAll(disposables: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const disposable of disposables) {
    try {
      disposable.dispose();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed to dispose');
}

export abstract class Disposable implements IDisposable {
  private _isDisposed = false;
  protected readonly _disposables: IDisposable[] = [];

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables.splice(0));
  }

  protected _register<T extends IDisposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }
}

/** Holds at most one disposable; replacing it disposes the previous one. */
export class DisposableValue<T extends IDisposable> implements IDisposable {
  private _value: T | undefined;

  get value(): T | undefined {
    return this._value;
  }

  set value(next: T | undefined) {
    if (this._value === next) return;
    this._value?.dispose();
    this._value = next;
  }

  dispose(): void {
    this.value = undefined;
  }
}
