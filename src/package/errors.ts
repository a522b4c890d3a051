import { HermitError } from '../errors.js';

/** Something about a package that the user has to fix; `details` lists the culprits. */
export class PackageError extends HermitError {
  constructor(
    message: string,
    readonly details: readonly string[] = [],
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}
