/** Something about a package that the user has to fix; `details` lists the culprits. */
export class PackageError extends Error {
  override name = 'PackageError';
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}
