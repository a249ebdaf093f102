import { fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { errorFromJsonBytes, trailerDemux } from "@connectrpc/connect/protocol-connect";
import { createAsyncIterable, readAllBytes, type UniversalHandler } from "@connectrpc/connect/protocol";

/** The result of an in-process call: the response message and the headers the handler set. */
export interface DispatchResult<O extends DescMessage> {
  readonly message: MessageShape<O>;
  readonly header: Headers;
}

/**
 * Calls a unary RPC in-process through the router's own universal handler — so the call passes the very
 * interceptors (request log, auth, permissions, limits) an RPC client's call passes — using the Connect
 * protocol's binary encoding. Errors come back as the handler's ConnectError.
 */
export class InProcessDispatcher {
  private readonly handlers = new Map<string, UniversalHandler>();

  constructor(handlers: readonly UniversalHandler[]) {
    for (const h of handlers) this.handlers.set(h.requestPath, h);
  }

  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageShape<I>,
    header: Headers,
    contextValues: ContextValues,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<DispatchResult<O>> {
    const path = `/${method.parent.typeName}/${method.name}`;
    const handler = this.handlers.get(path);
    if (!handler) throw new ConnectError(`no handler for ${path}`, Code.Unimplemented);
    header.set("content-type", "application/proto");
    header.set("connect-protocol-version", "1");
    header.set("connect-timeout-ms", String(timeoutMs));
    header.delete("content-length");
    header.delete("content-encoding");
    header.delete("connect-content-encoding");
    header.delete("accept-encoding");
    header.delete("connect-accept-encoding");
    const res = await handler({
      httpVersion: "1.1",
      method: "POST",
      url: `http://in-process${path}`,
      header,
      body: createAsyncIterable([toBinary(method.input, input)]),
      signal,
      contextValues,
    });
    const bytes = res.body ? await readAllBytes(res.body, Number.MAX_SAFE_INTEGER) : new Uint8Array(0);
    const [resHeader, trailer] = trailerDemux(new Headers(res.header));
    if (res.status !== 200) {
      const err = errorFromJsonBytes(bytes, resHeader, new ConnectError(`HTTP ${res.status}`, Code.Unknown));
      for (const [k, v] of trailer) err.metadata.set(k, v);
      throw err;
    }
    for (const [k, v] of trailer) resHeader.set(k, v);
    return { message: fromBinary(method.output, bytes), header: resHeader };
  }
}
