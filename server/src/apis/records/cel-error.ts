/** A filter that cannot be compiled; `pos` is the 0-based character offset. */
export class FilterError extends Error {
  constructor(
    readonly pos: number,
    reason: string,
  ) {
    super(`invalid filter at position ${pos}: ${reason}`);
  }
}
