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

export const badValue = (m: string) => new MongoCommandError(2, "BadValue", m);
export const cursorNotFound = (m: string) => new MongoCommandError(43, "CursorNotFound", m);
export const maxTimeExpired = () => new MongoCommandError(50, "MaxTimeMSExpired", "operation exceeded time limit");
export const commandNotFound = (name: string) =>
  new MongoCommandError(59, "CommandNotFound", `no such command: '${name}'`);
export const illegalOperation = (m: string) => new MongoCommandError(20, "IllegalOperation", m);
export const invalidNamespace = (m: string) => new MongoCommandError(73, "InvalidNamespace", m);
export const indexNotFound = (m: string) => new MongoCommandError(27, "IndexNotFound", m);
export const locationError = (code: number, m: string) => new MongoCommandError(code, `Location${code}`, m);
