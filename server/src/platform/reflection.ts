import { create, toBinary, type DescFile, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import * as v1 from "@tally/sdk/gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "@tally/sdk/gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The answer to one reflection request, in the shape shared by v1 and v1alpha. */
type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

type ReflectionQuery = v1.ServerReflectionRequest["messageRequest"] | v1alpha.ServerReflectionRequest["messageRequest"];

const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

/**
 * Answers gRPC server reflection from a file registry holding every served file and its imports.
 * A file is returned with all its transitive dependencies, as grpc-go does, so clients need one trip.
 */
export class ReflectionResolver {
  constructor(
    private readonly registry: FileRegistry,
    private readonly serviceNames: readonly string[],
  ) {}

  answer(query: ReflectionQuery): ReflectionAnswer {
    switch (query.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } };
      case "fileByFilename": {
        const file = this.registry.getFile(query.value);
        return file ? this.files(file) : notFound(`file not found: ${query.value}`);
      }
      case "fileContainingSymbol": {
        const file = this.fileOfSymbol(query.value);
        return file ? this.files(file) : notFound(`symbol not found: ${query.value}`);
      }
      case "fileContainingExtension": {
        const message = this.registry.getMessage(query.value.containingType);
        const ext = message && this.registry.getExtensionFor(message, query.value.extensionNumber);
        return ext
          ? this.files(ext.file)
          : notFound(`extension not found: ${query.value.containingType}(${query.value.extensionNumber})`);
      }
      case "allExtensionNumbersOfType": {
        const message = this.registry.getMessage(query.value);
        if (!message) return notFound(`type not found: ${query.value}`);
        const numbers: number[] = [];
        for (const t of this.registry)
          if (t.kind === "extension" && t.extendee.typeName === message.typeName) numbers.push(t.number);
        return {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: message.typeName, extensionNumber: numbers },
        };
      }
      default:
        return {
          case: "errorResponse",
          value: { errorCode: INVALID_ARGUMENT, errorMessage: "empty reflection request" },
        };
    }
  }

  private fileOfSymbol(symbol: string): DescFile | undefined {
    const direct = this.registry.get(symbol);
    if (direct) return direct.file;
    // `pkg.Service.Method`: look the service up and check the method exists.
    const dot = symbol.lastIndexOf(".");
    const service = this.registry.getService(symbol.slice(0, dot));
    return service?.methods.some((m) => m.name === symbol.slice(dot + 1)) ? service.file : undefined;
  }

  private files(root: DescFile): ReflectionAnswer {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      for (const d of f.dependencies) visit(d);
    };
    visit(root);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  }
}

function notFound(errorMessage: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage } };
}

/** grpc.reflection.v1.ServerReflection on Connect. */
export class ReflectionV1Impl implements ServiceImpl<typeof v1.ServerReflection> {
  constructor(private readonly resolver: ReflectionResolver) {}
  async *serverReflectionInfo(
    requests: AsyncIterable<v1.ServerReflectionRequest>,
  ): AsyncIterable<v1.ServerReflectionResponse> {
    for await (const req of requests) {
      yield create(v1.ServerReflectionResponseSchema, {
        validHost: req.host,
        originalRequest: req,
        messageResponse: this.resolver.answer(req.messageRequest),
      });
    }
  }
}

/** grpc.reflection.v1alpha.ServerReflection on Connect (older tools still ask for it). */
export class ReflectionV1alphaImpl implements ServiceImpl<typeof v1alpha.ServerReflection> {
  constructor(private readonly resolver: ReflectionResolver) {}
  async *serverReflectionInfo(
    requests: AsyncIterable<v1alpha.ServerReflectionRequest>,
  ): AsyncIterable<v1alpha.ServerReflectionResponse> {
    for await (const req of requests) {
      yield create(v1alpha.ServerReflectionResponseSchema, {
        validHost: req.host,
        originalRequest: req,
        messageResponse: this.resolver.answer(req.messageRequest),
      });
    }
  }
}
