/** A command failure answered as `{ok: 0, errmsg, code, codeName}` with MongoDB's real codes. */
export class MongoCommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

/** BadValue (2). */
export const badValue = (m: string) => new MongoCommandError(2, "BadValue", m);
/** CursorNotFound (43). */
export const cursorNotFound = (m: string) => new MongoCommandError(43, "CursorNotFound", m);
/** MaxTimeMSExpired (50): the command passed its `maxTimeMS`. */
export const maxTimeExpired = () => new MongoCommandError(50, "MaxTimeMSExpired", "operation exceeded time limit");
/** CommandNotFound (59). */
export const commandNotFound = (name: string) =>
  new MongoCommandError(59, "CommandNotFound", `no such command: '${name}'`);
/** IllegalOperation (20). */
export const illegalOperation = (m: string) => new MongoCommandError(20, "IllegalOperation", m);
/** InvalidNamespace (73). */
export const invalidNamespace = (m: string) => new MongoCommandError(73, "InvalidNamespace", m);
/** IndexNotFound (27). */
export const indexNotFound = (m: string) => new MongoCommandError(27, "IndexNotFound", m);
/** An error MongoDB identifies by its source location code (`Location<code>`). */
export const locationError = (code: number, m: string) => new MongoCommandError(code, `Location${code}`, m);
